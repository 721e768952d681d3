/* cli.h — what every subcommand file in src/cli/ shares.
 * A subcommand is `int cmd_<name>(int argc, char **argv)` in src/cli/cmd_<name>.c; argv[0]
 * is the command name, options are parsed with getopt_long, and it returns the process
 * exit status: CLI_OK (0), CLI_ERROR (1: the work failed, message on stderr),
 * CLI_USAGE (2: bad options, usage on stderr). Results go to stdout, progress and
 * messages to stderr. Only src/cli/ calls exit(). */
#ifndef CHEMVAE_CLI_H
#define CHEMVAE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chemvae/app/app.h"
#include "chemvae/app/app_model.h"
#include "chemvae/core/error.h"
#include "chemvae/core/json.h"
#include "chemvae/core/progress.h"
#include "chemvae/store/store.h"

enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };

/* Prints "chemvae <cmd>: <err->msg>" to stderr and returns CLI_ERROR. Messages quote
 * values from input files, so control bytes and bytes >= 0x7f are written as \xNN
 * (cli_put_safe): a corrupt file cannot drive the terminal. */
int cli_report(const char *cmd, const CvError *err);
void cli_put_safe(FILE *fp, const char *s);

/* Prints "chemvae <cmd>: <message>" and a hint to run --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The subcommands (README "What it does") and what `chemvae --help` says of each, one file
 * each. main.c declares them weak instead (it defines CLI_WEAK_COMMANDS) so the program links
 * with whichever files exist. */
// clang-format off
#define CLI_COMMANDS(X)                                                                            \
    X(ingest, "CSV -> validated, canonical, tokenized dataset (.cvds)")                           \
    X(vocab, "build or show a SMILES token vocabulary")                                           \
    X(train, "train the VAE on a dataset")                                                        \
    X(eval, "reconstruction, validity, uniqueness, novelty of a checkpoint")                      \
    X(encode, "SMILES -> latent mean (CSV)")                                                      \
    X(decode, "latent vectors -> SMILES")                                                         \
    X(sample, "generate molecules from the latent space")                                         \
    X(optimize, "gradient ascent on predicted properties in latent space")                        \
    X(interpolate, "walk between two molecules in latent space")                                  \
    X(metrics, "MOSES's metrics of a file of generated molecules")                               \
    X(predict, "the property head's predictions for molecules, beside true values")              \
    X(score, "validity, canonical SMILES, MW, logP, QED, SA, penalized logP")                     \
    X(query, "query the results database (read-only)")                                            \
    X(report, "self-contained HTML report of runs and molecules")                                 \
    X(db, "copy results databases into one (SQLite, PostgreSQL)")                                 \
    X(pipeline, "run a staged pipeline file")
// clang-format on
#ifndef CLI_WEAK_COMMANDS
#define CLI_DECLARE(name, summary) int cmd_##name(int argc, char **argv);
CLI_COMMANDS(CLI_DECLARE)
#undef CLI_DECLARE
#endif

/* The model the inference commands use without --model: results/models/model.cvae (what
 * `chemvae train` writes by default) when it exists, else the shipped
 * results/models/zinc24k-small.cvae (cv_model_load finds the installed copy when the
 * working directory is not a checkout). */
#define CLI_TRAINED_MODEL "results/models/model.cvae"
#define CLI_SHIPPED_MODEL "results/models/" CV_SHIPPED_MODEL_NAME
const char *cli_default_model(void);

/* Default results database path. */
#define CLI_DEFAULT_DB "results/chemvae.db"

/* Where a command records its run, and its BLAS threads: the options every recording
 * command shares (--db, --no-db, --parent-run, --threads), none of them recorded. */
typedef struct {
    const char *db_path;
    int no_db;
    long parent;
    long threads;
} CliRunOptions;
#define CLI_RUN_DEFAULTS                                                                           \
    { .db_path = CLI_DEFAULT_DB }
extern const CvParamTable cli_run_params;

struct CliCommand;
/* Opens the results DB r->db_path and begins a run of `kind` (cv_run_begin) unless
 * r->no_db, under r->parent, filling h->db / h->run_id; the stored config is c's options
 * as parsed into args; m (NULL-able) names the model file and hash. */
CvStatus cli_record(const struct CliCommand *c, const void *args, const CliRunOptions *r,
                    const char *kind, const CvModel *m, int64_t seed, CvHooks *h, CvError *err);

/* What cli_begin_run_spec records besides the option table's values. */
typedef struct {
    const char *kind;       /* "train" */
    const char *model_path; /* the checkpoint the run uses or writes, NULL-able */
    const char *model_hash; /* its cv_hash_file, NULL-able */
    int64_t seed, parent;
    /* Writes members into the open config object after the table's (NULL: none). */
    void (*extra)(const void *user, CvJson *j);
    const void *user;
} CliRunSpec;
/* cli_record for a job without a CvModel or with computed config members: unless no_db,
 * opens the results DB and begins a run of spec->kind whose stored config is c's options as
 * parsed into args followed by spec->extra's members, filling h->db / h->run_id. */
CvStatus cli_begin_run_spec(const struct CliCommand *c, const void *args, int no_db,
                            const char *db_path, const CliRunSpec *spec, CvHooks *h, CvError *err);

/* Hooks for a job run from the command line: a progress bar labelled with the command
 * on stderr (when it is a terminal), and SIGINT / SIGTERM stop the job between batches
 * instead of killing the process (exit status then 128 + signal). */
typedef struct {
    CvProgress bar;
    int started;
    const char *label;
    /* NULL-able: a job whose progress runs in passes (train: one per epoch) gets a bar per
     * pass, labelled by pass_label, ended when the pass reaches its total; a pass's first
     * report without a status only announces it (drawn from its next report on). */
    void (*pass_label)(const void *pass_user, char *buf, size_t cap);
    const void *pass_user;
} CliWatch;
void cli_hooks_init(CvHooks *h, CliWatch *w, const char *label);
/* Ends the progress bar (if it was drawn). */
void cli_watch_finish(CliWatch *w);

/* SIGINT / SIGTERM make cli_interrupted() return the signal number instead of killing the
 * process, so a long command can stop between batches, mark its run "interrupted" and keep
 * everything it committed. Exit status then: 128 + signal. */
void cli_catch_interrupts(void);
int cli_interrupted(void);

/* Sets the number of threads OpenBLAS may use (0 = leave its default). */
void cli_set_threads(int n);

#endif
