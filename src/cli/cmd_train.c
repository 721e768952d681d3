/* cmd_train.c — `chemvae train`: the train job (app_train.h) from the command line. Trains the
 * VAE on a .cvds dataset, prints a line per epoch on stderr, records every epoch in the
 * results DB (runs, training_metrics) and checkpoints every epoch; --export and --refit-head
 * are the two jobs on a finished checkpoint.
 *
 * SIGINT / SIGTERM stop training after the step in progress: a checkpoint is written, the
 * run is marked 'interrupted' and the exit status is 130 (what `chemvae pipeline` reads as an
 * interrupted stage). --resume continues from the checkpoint at --out (same seed and thread
 * count: the same weights as an uninterrupted run). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_train.h"
#include "chemvae/nn/gru.h"
#include "cli.h"
#include "options.h"

typedef struct {
    CvTrainConfig cfg; /* the job's settings, parsed into directly */
    const char *db_path, *export_from;
    long threads, parent, refit;
    int no_db, quiet;
} TrainArgs;

/* ---- train's own option kinds ------------------------------------------------------ */

/* --preset: a name cv_vae_config_preset knows, asked at a typical dataset's shape (the real
 * one is the dataset's). */
static CvStatus parse_preset(const char *opt, const char *arg, void *field, CvError *err) {
    VaeConfig probe;
    if (cv_vae_config_preset(arg, 120, 40, 3, &probe, err)) {
        cv_error_prefix(err, "%s", opt);
        return CV_ERR_INVALID;
    }
    *(const char **)field = arg;
    return CV_OK;
}
static void string_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}

static CvStatus parse_kl_schedule(const char *opt, const char *arg, void *field, CvError *err) {
    if (!cv_train_kl_schedule_parse(arg, field)) return CV_OK;
    cv_error_set(err, CV_ERR_INVALID,
                 "%s: unknown schedule '%s' (sigmoid, constant, linear, cyclical)", opt, arg);
    return CV_ERR_INVALID;
}
static void kl_schedule_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_train_kl_schedule_name(*(const int *)field));
}
static CvStatus parse_lr_decay(const char *opt, const char *arg, void *field, CvError *err) {
    if (!cv_train_lr_decay_parse(arg, field)) return CV_OK;
    cv_error_set(err, CV_ERR_INVALID, "%s: unknown decay '%s' (none, cosine, plateau)", opt, arg);
    return CV_ERR_INVALID;
}
static void lr_decay_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_train_lr_decay_name(*(const int *)field));
}

/* --decoder first | z-every-layer into CvTrainConfig.dec_z_all (0 / 1). */
static CvStatus parse_decoder(const char *opt, const char *arg, void *field, CvError *err) {
    if (strcmp(arg, "first") && strcmp(arg, "z-every-layer")) {
        cv_error_set(err, CV_ERR_INVALID, "%s expects first or z-every-layer, got '%s'", opt, arg);
        return CV_ERR_INVALID;
    }
    *(int *)field = !strcmp(arg, "z-every-layer");
    return CV_OK;
}
static void decoder_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const int *)field ? "z-every-layer" : "first");
}

static const CvParamType PRESET = {1, "NAME", parse_preset, string_json};
static const CvParamType KL_SCHEDULE = {1, "S", parse_kl_schedule, kl_schedule_json};
static const CvParamType LR_DECAY = {1, "D", parse_lr_decay, lr_decay_json};
static const CvParamType DECODER = {1, "D", parse_decoder, decoder_json};

/* ---- the table ---------------------------------------------------------------------- */

/* The stored config: every option of the experiment (--threads too: OpenBLAS sums in a
 * thread-count-dependent order, so it decides the weights), then the model and recipe as
 * the checkpoint describes them ("model", "options") and "params" (cv_train_job_describe). */
#define F(field) offsetof(TrainArgs, field)
#define C(field) offsetof(TrainArgs, cfg.field)
#define T(field) offsetof(TrainArgs, cfg.train.field)
static const CvParam OPTS[] = {
    CV_PARAM("data", 'd', CV_PARAM_STRING, C(data), "FILE",
             "dataset from `chemvae ingest` (required)"),
    CV_PARAM("out", 'o', CV_PARAM_STRING, C(out), "FILE",
             "checkpoint path (default " CLI_TRAINED_MODEL ")", .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("resume", 0, CV_PARAM_SWITCH, C(resume), NULL,
             "continue from the checkpoint at --out"),
    CV_PARAM("preset", 'p', PRESET, C(preset), "NAME", "paper | small | tiny (default small)"),
    CV_PARAM("latent", 0, CV_PARAM_INT, C(latent), "Z", "override the preset's latent dimensions"),
    CV_PARAM("hidden", 0, CV_PARAM_INT, C(hidden), "H", "override the preset's GRU width"),
    CV_PARAM("gru-layers", 0, CV_PARAM_INT, C(gru_layers), "L", "override the preset's GRU layers"),
    CV_PARAM("enc-dense", 0, CV_PARAM_INT, C(enc_dense), "D",
             "override the preset's encoder dense width"),
    CV_PARAM("dec-dense", 0, CV_PARAM_INT, C(dec_dense), "E",
             "override the preset's decoder dense width"),
    CV_PARAM("decoder", 0, DECODER, C(dec_z_all), "D",
             "first (default): z and the previous token enter the first\nGRU layer | "
             "z-every-layer: z enters every layer and the\nprevious token only the last "
             "(chemical_vae's decoder)"),
    CV_PARAM("epochs", 0, CV_PARAM_INT, T(epochs), "N", "total epochs (default 30)"),
    CV_PARAM("batch", 0, CV_PARAM_SIZE, T(batch), "B", "molecules per step (default 128)"),
    CV_PARAM("lr", 0, CV_PARAM_FLOAT, T(adam.lr), "X", "Adam learning rate (default 1e-3)"),
    CV_PARAM("beta1", 0, CV_PARAM_FLOAT, T(adam.beta1), "X", "Adam beta1 (default 0.9)"),
    CV_PARAM("beta2", 0, CV_PARAM_FLOAT, T(adam.beta2), "X", "Adam beta2 (default 0.999)"),
    CV_PARAM("clip", 0, CV_PARAM_FLOAT, T(adam.clip_norm), "X",
             "Adam gradient-norm clip (default 50)"),
    CV_PARAM("kl-schedule", 0, KL_SCHEDULE, T(kl_schedule), "S",
             "sigmoid | constant | linear | cyclical (default sigmoid)"),
    CV_PARAM("kl-max", 0, CV_PARAM_FLOAT, T(kl_max), "X",
             "sigmoid: beta(e) = kl_max / (1 + exp(-slope (e - center)))\n(default 0.2, 1, 5; "
             "slope 0 = constant)"),
    CV_PARAM("kl-slope", 0, CV_PARAM_FLOAT, T(kl_slope), "X", "the sigmoid's slope (default 1)"),
    CV_PARAM("kl-center", 0, CV_PARAM_FLOAT, T(kl_center), "X",
             "the sigmoid's center epoch (default 5)"),
    CV_PARAM("kl-ramp", 0, CV_PARAM_FLOAT, T(kl_ramp), "E",
             "epochs of the linear ramp / of one cycle (default 10)"),
    CV_PARAM("ae-warmup", 0, CV_PARAM_FLOAT, T(ae_warmup), "E",
             "first E epochs as a plain autoencoder (beta 0, z = mu)"),
    CV_PARAM("free-bits", 0, CV_PARAM_FLOAT, T(free_bits), "X",
             "KL floor per latent dimension in nats (default 0 = off)"),
    CV_PARAM("word-dropout", 0, CV_PARAM_FLOAT, T(word_dropout), "P",
             "decoder input tokens replaced by <pad> with probability P"),
    CV_PARAM(
        "augment", 0, CV_PARAM_SWITCH, T(augment), NULL,
        "encoder sees a randomized SMILES (redrawn every step),\nthe decoder the canonical one"),
    CV_PARAM("bn-freeze", 0, CV_PARAM_FLOAT, T(bn_freeze), "E",
             "from epoch E on (0 = the first), train the encoder's\nbatchnorm on its running "
             "statistics (default never)"),
    CV_PARAM("bucket", 0, CV_PARAM_SWITCH, T(bucket), NULL,
             "with --bn-freeze: batches from length buckets (fewer\ndecoder steps on padding)"),
    CV_PARAM("full-decode", 0, CV_PARAM_SWITCH, T(full_decode), NULL,
             "the decoder runs all T steps of every batch, as without\nlength-aware training "
             "(benchmarks; same model)"),
    CV_PARAM("lr-warmup", 0, CV_PARAM_SIZE, T(lr_warmup), "N",
             "linear learning-rate warm-up over N steps"),
    CV_PARAM("lr-decay", 0, LR_DECAY, T(lr_decay), "D",
             "none | cosine (to --lr-min, default 1e-5, over --epochs) |\nplateau (x "
             "--lr-factor, default 0.5, after --lr-patience\nepochs without a better validation "
             "CE, default 3)"),
    CV_PARAM("lr-min", 0, CV_PARAM_FLOAT, T(lr_min), "X", "the cosine's floor (default 1e-5)"),
    CV_PARAM("lr-factor", 0, CV_PARAM_FLOAT, T(lr_factor), "X", "plateau: the cut (default 0.5)"),
    CV_PARAM("lr-patience", 0, CV_PARAM_INT, T(lr_patience), "N",
             "plateau: epochs without a better validation CE (default 3)"),
    CV_PARAM("best", 0, CV_PARAM_STRING, T(best), "FILE",
             "also keep the checkpoint with the best validation\nteacher-forced exact-string "
             "accuracy (inference-only)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("prop-weight", 0, CV_PARAM_FLOAT, T(prop_weight), "X",
             "weight of the property MSE (default 1)"),
    CV_PARAM("seed", 0, CV_PARAM_U64, T(seed), "N",
             "seed of init, shuffling and noise (default 1)"),
    CV_PARAM("max-steps", 0, CV_PARAM_SIZE, T(max_steps), "N",
             "stop after N optimizer steps (checkpoint written)"),
    CV_PARAM("recon-sample", 0, CV_PARAM_SIZE, T(recon_sample), "N",
             "validation molecules decoded per epoch (default 256)"),
    CV_PARAM("threads", 0, CV_PARAM_LONG, F(threads), "N", "OpenBLAS threads (default: all cores)"),
    CV_PARAM("db", 0, CV_PARAM_STRING, F(db_path), "FILE", CLI_DB_HELP, .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("no-db", 0, CV_PARAM_SWITCH, F(no_db), NULL, "record nothing",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("parent-run", 0, CV_PARAM_LONG, F(parent), "N",
             "record this run under run N (pipelines)", .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("quiet", 0, CV_PARAM_SWITCH, F(quiet), NULL, "no progress bar, no per-epoch lines",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("export", 0, CV_PARAM_STRING, F(export_from), "SRC.cvae",
             "write an inference-only copy of SRC to --out (below)", .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("refit-head", 0, CV_PARAM_LONG, F(refit), "N",
             "retrain only the property head of --out for N epochs (below)",
             .flags = CV_PARAM_NOCONFIG),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F
#undef C
#undef T

static const CliCommand COMMAND = {
    .name = "train",
    .synopsis = "--data DATASET.cvds [options]",
    .intro = "Trains the VAE (conv encoder, GRU decoder, property head) and writes a checkpoint\n"
             "after every epoch.\n",
    .tables = {{&OPTS_TABLE, 0}},
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

/* The checks of a training run's settings (--export and --refit-head take none of them). */
static int check_training(const TrainArgs *a) {
    const char *cmd = COMMAND.name;
    const CvTrainConfig *c = &a->cfg;
    const TrainOptions *o = &c->train;
    if (!c->data) return cli_usage_error(cmd, "--data is required");
    if (c->latent > VAE_MAX_WIDTH || c->hidden > VAE_MAX_WIDTH || c->enc_dense > VAE_MAX_WIDTH ||
        c->dec_dense > VAE_MAX_WIDTH || c->gru_layers > GRU_MAX_LAYERS)
        return cli_usage_error(cmd,
                               "--latent, --hidden, --enc-dense and --dec-dense are at most %d, "
                               "--gru-layers at most %d",
                               VAE_MAX_WIDTH, GRU_MAX_LAYERS);
    if (o->epochs < 1 || o->batch > CV_TRAIN_MAX_BATCH)
        return cli_usage_error(cmd, "--epochs must be >= 1 and --batch at most %d",
                               CV_TRAIN_MAX_BATCH);
    if (o->batch < 2) return cli_usage_error(cmd, "--batch must be at least 2");
    if (o->word_dropout < 0.0f || o->word_dropout >= 1.0f)
        return cli_usage_error(cmd, "--word-dropout %g must be in [0, 1)", (double)o->word_dropout);
    if (o->bucket && o->bn_freeze < 0.0f)
        return cli_usage_error(
            cmd, "--bucket needs --bn-freeze E: length buckets need frozen batchnorm");
    if (o->free_bits < 0.0f || o->ae_warmup < 0.0f || o->kl_ramp <= 0.0f)
        return cli_usage_error(cmd, "--free-bits and --ae-warmup must be >= 0 and --kl-ramp > 0");
    return CLI_OK;
}

static int parse_args(int argc, char **argv, TrainArgs *a) {
    memset(a, 0, sizeof *a);
    cv_train_config_default(&a->cfg);
    a->cfg.out = CLI_TRAINED_MODEL;
    a->db_path = CLI_DEFAULT_DB;
    int rc = cli_options_parse(&COMMAND, argc, argv, a, NULL);
    if (rc || a->export_from) return rc;
    if (a->refit)
        return a->cfg.data ? CLI_OK : cli_usage_error(COMMAND.name, "--refit-head needs --data");
    return check_training(a);
}

/* ---- the progress bar and the epoch lines ------------------------------------------ */

/* One progress bar per epoch, labelled "epoch E/N", ended before the epoch's line. */
typedef struct {
    CvProgress bar;
    int started;
    int epoch, epochs; /* the epoch in progress (1-based), of how many */
    int quiet;
} TrainWatch;

static void watch_end_bar(TrainWatch *w) {
    if (w->started) cv_progress_finish(&w->bar, NULL);
    w->started = 0;
}

static void watch_progress(void *user, size_t done, size_t total, const char *status) {
    TrainWatch *w = user;
    if (!w->started) {
        char label[32];
        snprintf(label, sizeof label, "epoch %d/%d", w->epoch, w->epochs);
        cv_progress_start(&w->bar, label, total);
        w->started = 1;
        if (!status) return; /* the epoch's start: drawn from its first step on */
    }
    cv_progress_update(&w->bar, done, status);
    if (done >= total) watch_end_bar(w); /* before the epoch's validation */
}

static int watch_interrupted(void *user) {
    (void)user;
    return cli_interrupted();
}

static CvStatus print_epoch(void *user, const CvTrainJob *job, const EpochReport *r, CvError *err) {
    TrainWatch *w = user;
    (void)err;
    watch_end_bar(w);
    w->epoch = r->epoch + 1;
    if (w->quiet) return CV_OK;
    fprintf(stderr,
            "epoch %3d  beta %.4f  train loss %.4f recon %.4f kl %.3f prop %.4f acc %.4f | valid "
            "loss %.4f recon %.4f kl %.3f acc %.4f tf-exact %.3f exact %.3f au %d%s |",
            r->epoch, r->beta, r->train.loss, r->train.recon, r->train.kl, r->train.prop,
            r->train_acc, r->valid.loss, r->valid.recon, r->valid.kl, r->valid_acc, r->tf_exact,
            r->recon_exact, r->active_units, r->best ? " best" : "");
    for (size_t p = 0; p < job->ds.P; p++)
        fprintf(stderr, " mae %s %.3f", job->ds.prop_names[p], r->prop_mae[p]);
    fprintf(stderr, " | %.0f mol/s %.0f s\n", r->mol_per_s, r->seconds);
    return CV_OK;
}

/* ---- the three jobs ---------------------------------------------------------------- */

static void describe_job(const void *job, CvJson *j) {
    cv_train_job_describe(job, j);
}

/* Opens the job, says what it trains and begins the run. */
static CvStatus open_job(const TrainArgs *a, CvTrainJob *job, CvHooks *h, CvError *err) {
    CvStatus st = cv_train_job_open(job, &a->cfg, err);
    if (st) return st;
    if (job->resumed)
        fprintf(stderr, "chemvae train: resuming %s at epoch %ld, step %ld\n", a->cfg.out,
                job->meta.epoch, job->meta.step);
    if (!a->quiet)
        fprintf(stderr, "chemvae train: %s (%zu parameters); %s\n", job->model_desc,
                job->vae.params.total, job->options_desc);
    CliRunSpec spec = {.kind = "train",
                       .model_path = a->cfg.out,
                       .seed = (int64_t)a->cfg.train.seed,
                       .parent = a->parent,
                       .extra = describe_job,
                       .user = job};
    return cli_begin_run_spec(&COMMAND, a, a->no_db, a->db_path, &spec, h, err);
}

static int train(const TrainArgs *a) {
    CvError err = {0};
    CvTrainJob job;
    CvTrainResult res;
    TrainWatch w = {.epochs = a->cfg.train.epochs, .quiet = a->quiet};
    CvHooks h = {
        .progress = a->quiet ? NULL : watch_progress, .interrupted = watch_interrupted, .user = &w};
    CvStatus st = open_job(a, &job, &h, &err);
    if (!st) {
        w.epoch = (int)job.meta.epoch + 1;
        job.on_epoch = print_epoch;
        job.on_epoch_user = &w;
        cli_catch_interrupts();
        st = cv_train_job_run(&job, &h, &res, &err);
        watch_end_bar(&w);
    }
    int rc = CLI_OK;
    if (st) rc = cli_report(COMMAND.name, &err);
    else if (res.interrupted) {
        fprintf(stderr, "chemvae train: %s\n", res.stop_message);
        rc = 130;
    } else {
        fprintf(stderr, "chemvae train: done: %ld epochs, %ld steps; checkpoint %s\n", res.epoch,
                res.step, a->cfg.out);
        if (h.db)
            printf("run_id,checkpoint,epochs,steps\n%lld,%s,%ld,%ld\n", (long long)h.run_id,
                   a->cfg.out, res.epoch, res.step);
    }
    cv_store_close(h.db);
    cv_train_job_close(&job);
    return rc;
}

static int export_checkpoint(const TrainArgs *a) {
    CvError err = {0};
    long epoch = 0, step = 0;
    if (cv_train_export(a->export_from, a->cfg.out, &epoch, &step, &err))
        return cli_report(COMMAND.name, &err);
    fprintf(stderr, "chemvae train: wrote %s (epoch %ld, step %ld, no optimizer state)\n",
            a->cfg.out, epoch, step);
    return CLI_OK;
}

static int refit_head(const TrainArgs *a) {
    CvError err = {0};
    CvRefitResult r;
    if (cv_train_refit_head(a->cfg.data, a->cfg.out, (int)a->refit, a->cfg.train.adam.lr,
                            a->cfg.train.seed, &r, &err))
        return cli_report(COMMAND.name, &err);
    fprintf(stderr,
            "chemvae train: property head refit on %s: %d epochs, best epoch %d; validation MAE",
            a->cfg.out, r.report.epochs_run, r.report.best_epoch);
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
    cli_set_threads((int)a.threads);
    return a.refit ? refit_head(&a) : train(&a);
}
