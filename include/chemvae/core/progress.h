/* progress.h — a one-line progress bar on stderr for long work (ingest, train, sample).
 * Draws only when stderr is a terminal (or when forced), at most ~10 times a second:
 *   [=========>          ] 4096/24445  812.3/s  ETA 0:25  loss 0.42
 * No global state: each long task owns a CvProgress. */
#ifndef CHEMVAE_PROGRESS_H
#define CHEMVAE_PROGRESS_H

#include <stddef.h>

typedef struct {
    char label[32];
    size_t total; /* 0 = unknown (no bar, no ETA) */
    size_t done;
    double t_start; /* seconds, monotonic */
    double t_drawn;
    int enabled; /* draw at all (stderr is a tty) */
} CvProgress;

/* Monotonic wall-clock seconds. */
double cv_now(void);

/* Starts a bar labelled `label` over `total` items (0 when unknown). */
void cv_progress_start(CvProgress *p, const char *label, size_t total);
/* Sets the count of finished items and redraws if due; `suffix` (may be NULL) is printed
 * after the rate, e.g. "loss 0.42". */
void cv_progress_update(CvProgress *p, size_t done, const char *suffix);
/* Draws the final state and ends the line. */
void cv_progress_finish(CvProgress *p, const char *suffix);

#endif
