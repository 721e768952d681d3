/* cli.c — message and option-parsing helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "chemvae/store/store.h"
#include "options.h"

void cli_put_safe(FILE *fp, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f) fprintf(fp, "\\x%02x", *p);
        else fputc(*p, fp);
    }
}

int cli_report(const char *cmd, const CvError *err) {
    fprintf(stderr, "chemvae %s: ", cmd);
    cli_put_safe(stderr, err && err->msg[0] ? err->msg : "failed");
    fputc('\n', stderr);
    return CLI_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char msg[CV_ERRMSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "chemvae %s: ", cmd);
    cli_put_safe(stderr, msg);
    fprintf(stderr, "\nTry 'chemvae %s --help'.\n", cmd);
    return CLI_USAGE;
}

CvStatus cli_begin_run_spec(const struct CliCommand *c, const void *args, int no_db,
                            const char *db_path, const CliRunSpec *spec, CvHooks *h, CvError *err) {
    if (no_db) return CV_OK;
    CvJson cfg = {0};
    cv_json_begin_object(&cfg);
    cli_options_config(c, args, &cfg);
    if (spec->extra) spec->extra(spec->user, &cfg);
    cv_json_end_object(&cfg);
    return cv_run_begin(db_path, spec->kind, &cfg, spec->model_path, spec->model_hash, spec->seed,
                        spec->parent, &h->db, &h->run_id, err);
}

#define F(field) offsetof(CliRunOptions, field)
static const CvParam RUN_PARAMS[] = {
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE",
             "results DB (default " CLI_DEFAULT_DB ", or a postgresql://\nURI); --no-db to skip",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("no-db", 0, CV_PARAM_SWITCH, F(no_db), NULL, "record nothing",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("parent-run", 0, CV_PARAM_LONG, F(parent), "N", "record under run N",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("threads", 'j', CV_PARAM_LONG, F(threads), "N", "OpenBLAS threads (default: all CPUs)",
             .flags = CV_PARAM_NOCONFIG),
};
#undef F
const CvParamTable cli_run_params = CV_PARAM_TABLE(RUN_PARAMS);

CvStatus cli_record(const struct CliCommand *c, const void *args, const CliRunOptions *r,
                    const char *kind, const CvModel *m, int64_t seed, CvHooks *h, CvError *err) {
    CliRunSpec spec = {.kind = kind,
                       .model_path = m ? m->path : NULL,
                       .model_hash = m ? m->hash : NULL,
                       .seed = seed,
                       .parent = r->parent};
    return cli_begin_run_spec(c, args, r->no_db, r->db_path, &spec, h, err);
}

static volatile sig_atomic_t g_interrupted; /* the signal that asked us to stop, or 0 */

static void on_interrupt(int sig) {
    g_interrupted = sig;
}

void cli_catch_interrupts(void) {
    struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART: waits see the signal */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_interrupted(void) {
    return (int)g_interrupted;
}

static void watch_progress(void *user, size_t done, size_t total, const char *status) {
    CliWatch *w = user;
    if (!w->started) {
        char label[sizeof w->bar.label];
        if (w->pass_label) w->pass_label(w->pass_user, label, sizeof label);
        cv_progress_start(&w->bar, w->pass_label ? label : w->label, total);
        w->started = 1;
        if (w->pass_label && !status) return;
    }
    cv_progress_update(&w->bar, done, status);
    if (w->pass_label && done >= total) cli_watch_finish(w);
}

static int watch_interrupted(void *user) {
    (void)user;
    return cli_interrupted();
}

void cli_hooks_init(CvHooks *h, CliWatch *w, const char *label) {
    memset(w, 0, sizeof *w);
    w->label = label;
    *h = (CvHooks){.progress = watch_progress, .interrupted = watch_interrupted, .user = w};
    cli_catch_interrupts();
}

void cli_watch_finish(CliWatch *w) {
    if (w->started) cv_progress_finish(&w->bar, NULL);
    w->started = 0;
}

void cli_set_threads(int n) {
    if (n > 0) openblas_set_num_threads(n);
}

const char *cli_default_model(void) {
    return access(CLI_TRAINED_MODEL, F_OK) == 0 ? CLI_TRAINED_MODEL : CLI_SHIPPED_MODEL;
}
