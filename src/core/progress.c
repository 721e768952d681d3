/* progress.c — see include/chemvae/core/progress.h. Redraws with '\r' on one stderr line;
 * disabled when stderr is not a terminal so logs and CI output stay clean. */
#include "chemvae/core/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double cv_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cv_progress_start(CvProgress *p, const char *label, size_t total) {
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->t_start = cv_now();
    p->enabled = isatty(STDERR_FILENO);
}

static void draw(CvProgress *p, const char *suffix, double now) {
    double el = now - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0.0;
    char bar[24] = "";
    char eta[32] = "";
    if (p->total) {
        int width = 20, fill = (int)((double)width * (double)p->done / (double)p->total);
        if (fill > width) fill = width;
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width] = '\0';
        if (rate > 0 && p->done < p->total) {
            long s = (long)((double)(p->total - p->done) / rate);
            snprintf(eta, sizeof eta, " ETA %ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
        }
        fprintf(stderr, "\r%s [%s] %zu/%zu %.1f/s%s %s\033[K", p->label, bar, p->done, p->total,
                rate, eta, suffix ? suffix : "");
    } else {
        fprintf(stderr, "\r%s %zu %.1f/s %s\033[K", p->label, p->done, rate, suffix ? suffix : "");
    }
    fflush(stderr);
    p->t_drawn = now;
}

void cv_progress_update(CvProgress *p, size_t done, const char *suffix) {
    p->done = done;
    if (!p->enabled) return;
    double now = cv_now();
    if (now - p->t_drawn < 0.1) return;
    draw(p, suffix, now);
}

void cv_progress_finish(CvProgress *p, const char *suffix) {
    if (!p->enabled) return;
    draw(p, suffix, cv_now());
    fputc('\n', stderr);
}
