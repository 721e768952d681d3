/* cmd_train.c — `chemvae train`: the train job (app_train.h) from the command line. Trains the
 * VAE on a .cvds dataset, prints a line per epoch on stderr, records every epoch in the
 * results DB (runs, training_metrics) and checkpoints every epoch; --export and --refit-head
 * are the two jobs on a finished checkpoint.
 *
 * SIGINT / SIGTERM stop training after the step in progress: a checkpoint is written, the
 * run is marked 'interrupted' and the exit status is 130 (what `chemvae pipeline` reads as an
 * interrupted stage). --resume continues from the checkpoint at --out (same seed and thread
 * count: the same weights as an uninterrupted run). Under `mpirun -np N` every process
 * trains its share of each batch and rank 0 alone prints, records and checkpoints. */
#include <stdio.h>

#include "chemvae/app/app_train.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvTrainConfig job;
    CliRunOptions run;
    const char *export_from;
    long refit;
    int quiet;
} TrainArgs;

#define F(field) offsetof(TrainArgs, field)
static const CvParam OWN[] = {
    CV_PARAM("quiet", 'q', CV_PARAM_SWITCH, F(quiet), NULL, "no progress bar, no per-epoch lines",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("export", 0, CV_PARAM_STRING, F(export_from), "SRC.cvae",
             "write an inference-only copy of SRC to --out (below)", .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("refit-head", 0, CV_PARAM_LONG, F(refit), "N",
             "retrain only the property head of --out for N epochs (below)",
             .flags = CV_PARAM_NOCONFIG),
};
#undef F
static const CvParamTable OWN_TABLE = CV_PARAM_TABLE(OWN);

static const CliCommand COMMAND = {
    .name = "train",
    .synopsis = "--data DATASET.cvds [options]",
    .intro = "Trains the VAE (conv encoder, GRU decoder, property head) and writes a checkpoint\n"
             "after every epoch.\n",
    .tables = {{&cv_train_params, offsetof(TrainArgs, job)},
               {&cli_run_params, offsetof(TrainArgs, run)},
               {&OWN_TABLE, 0}},
    .epilog = "usage: chemvae train --export SRC.cvae --out DST.cvae\n"
              "  writes an inference-only copy of a checkpoint (no Adam state: a third the size)\n"
              "\n"
              "usage: chemvae train --refit-head N --data DATASET.cvds --out MODEL.cvae [--lr X]\n"
              "  retrains only the property head of MODEL for N epochs on its latent means (the\n"
              "  encoder and decoder stay as they are), keeps the best validation epoch and\n"
              "  rewrites MODEL\n"
              "\n"
              "stdout (with a results DB): run_id,checkpoint,epochs,steps\n",
    .max_operands = 0};

/* --export takes no other setting, --refit-head only the dataset; training is checked by
 * cv_train_check. */
static int parse_args(int argc, char **argv, TrainArgs *a) {
    *a = (TrainArgs){.run = CLI_RUN_DEFAULTS};
    cv_train_config_default(&a->job);
    a->job.out = CLI_TRAINED_MODEL;
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc || a->export_from) return rc;
    if (a->refit)
        return a->job.data ? CLI_OK : cli_usage_error(COMMAND.name, "--refit-head needs --data");
    CvError err = {0};
    return cv_train_check(&a->job, &err) ? cli_usage_error(COMMAND.name, "%s", err.msg) : CLI_OK;
}

/* The label of an epoch's progress bar: "epoch E/N". */
static void epoch_label(const void *user, char *buf, size_t cap) {
    const CvTrainJob *job = user;
    snprintf(buf, cap, "epoch %ld/%d", job->meta.epoch + 1, job->opts.epochs);
}

static CvStatus print_epoch(void *user, const CvTrainJob *job, const EpochReport *r, CvError *err) {
    (void)err;
    cli_watch_finish(user); /* before the epoch's line */
    char line[4096];
    fprintf(stderr, "%s\n", cv_train_epoch_line(job, r, line, sizeof line));
    return CV_OK;
}

/* The stored config's members besides the options: the thread count (OpenBLAS sums in a
 * thread-count-dependent order, so it decides the weights) and the model and recipe as the
 * checkpoint describes them. */
typedef struct {
    long threads;
    const CvTrainJob *job;
} RunExtra;

static void describe_run(const void *user, CvJson *cfg) {
    const RunExtra *x = user;
    cv_json_kv_int(cfg, "threads", x->threads);
    cv_train_job_describe(x->job, cfg);
}

/* Says what the job trains and begins its run (none with --no-db). */
static CvStatus begin_run(const TrainArgs *a, const CvTrainJob *job, CvHooks *h, CvError *err) {
    if (job->resumed)
        fprintf(stderr, "chemvae train: resuming %s at epoch %ld, step %ld\n", a->job.out,
                job->meta.epoch, job->meta.step);
    if (!a->quiet)
        fprintf(stderr, "chemvae train: %s (%zu parameters); %s\n", job->model_desc,
                job->vae.params.total, job->options_desc);
    RunExtra extra = {a->run.threads, job};
    CliRunSpec spec = {.kind = "train",
                       .model_path = a->job.out,
                       .seed = (int64_t)a->job.train.seed,
                       .parent = a->run.parent,
                       .extra = describe_run,
                       .user = &extra};
    return cli_begin_run_spec(&COMMAND, a, a->run.no_db, a->run.db_path, &spec, h, err);
}

static int train(const TrainArgs *a) {
    CvError err = {0};
    CvTrainJob job;
    CvTrainResult res;
    CliWatch w;
    CvHooks h;
    cli_hooks_init(&h, &w, COMMAND.name);
    w.pass_label = epoch_label, w.pass_user = &job;
    if (a->quiet) h.progress = NULL;
    CvStatus st = cv_train_job_open(&job, &a->job, &err);
    int lead = cv_dist_rank(job.dist) == 0; /* under mpirun rank 0 alone speaks and records */
    if (!st && lead) st = begin_run(a, &job, &h, &err);
    if (!st) {
        job.on_epoch = a->quiet ? NULL : print_epoch;
        job.on_epoch_user = &w;
        st = cv_train_job_run(&job, &h, &res, &err);
        cli_watch_finish(&w);
    }
    int rc = st ? cli_report(COMMAND.name, &err) : res.interrupted ? 130 : CLI_OK;
    if (!st && lead && res.interrupted) fprintf(stderr, "chemvae train: %s\n", res.stop_message);
    if (!st && lead && !res.interrupted)
        fprintf(stderr, "chemvae train: done: %ld epochs, %ld steps; checkpoint %s\n", res.epoch,
                res.step, a->job.out);
    if (!st && !res.interrupted && h.db)
        printf("run_id,checkpoint,epochs,steps\n%lld,%s,%ld,%ld\n", (long long)h.run_id, a->job.out,
               res.epoch, res.step);
    cv_store_close(h.db);
    cv_train_job_close(&job);
    return rc;
}

static int export_checkpoint(const TrainArgs *a) {
    CvError err = {0};
    long epoch = 0, step = 0;
    if (cv_train_export(a->export_from, a->job.out, &epoch, &step, &err))
        return cli_report(COMMAND.name, &err);
    fprintf(stderr, "chemvae train: wrote %s (epoch %ld, step %ld, no optimizer state)\n",
            a->job.out, epoch, step);
    return CLI_OK;
}

static int refit_head(const TrainArgs *a) {
    CvError err = {0};
    CvRefitResult r;
    if (cv_train_refit_head(a->job.data, a->job.out, (int)a->refit, a->job.train.adam.lr,
                            a->job.train.seed, &r, &err))
        return cli_report(COMMAND.name, &err);
    fprintf(stderr,
            "chemvae train: property head refit on %s: %d epochs, best epoch %d; validation MAE",
            a->job.out, r.report.epochs_run, r.report.best_epoch);
    for (size_t p = 0; p < r.P; p++)
        fprintf(stderr, "%s %s %.4f -> %.4f", p ? "," : "", r.prop_names[p], r.report.mae_before[p],
                r.report.mae_after[p]);
    fprintf(stderr, "\n");
    return CLI_OK;
}

int cmd_train(int argc, char **argv) {
    TrainArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (a.export_from) return export_checkpoint(&a);
    cli_set_threads((int)a.run.threads);
    return a.refit ? refit_head(&a) : train(&a);
}
