/* app_train.c — the train job, the checkpoint export and the property-head refit (see
 * app_train.h). The training loop itself is cv_train_run (src/model/train.c); this file is the
 * job around it: its parameters and their checks, the dataset, the model built from a preset
 * or resumed from its checkpoint, the hooks translated into cv_train_run's, and each epoch
 * recorded in the results DB. */
#include "chemvae/app/app_train.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/core/buf.h"
#include "chemvae/core/csvout.h"
#include "chemvae/core/fileio.h"
#include "chemvae/nn/gru.h"

void cv_train_config_default(CvTrainConfig *c) {
    memset(c, 0, sizeof *c);
    c->preset = "small";
    cv_train_options_default(&c->train);
}

/* ---- train's own parameter kinds ----------------------------------------------------- */

/* A preset name cv_vae_config_preset knows, asked at a typical dataset's shape (the real one
 * is the dataset's). */
static CvStatus parse_preset(const char *name, const char *text, void *field, CvError *err) {
    VaeConfig probe;
    if (cv_vae_config_preset(text, 120, 40, 3, &probe, err)) {
        cv_error_prefix(err, "%s", name);
        return CV_ERR_INVALID;
    }
    *(const char **)field = text;
    return CV_OK;
}
static void preset_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}

static CvStatus parse_kl_schedule(const char *name, const char *text, void *field, CvError *err) {
    if (!cv_train_kl_schedule_parse(text, field)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID,
                        "%s: unknown schedule '%s' (sigmoid, constant, linear, cyclical)", name,
                        text);
}
static void kl_schedule_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_train_kl_schedule_name(*(const int *)field));
}

static CvStatus parse_lr_decay(const char *name, const char *text, void *field, CvError *err) {
    if (!cv_train_lr_decay_parse(text, field)) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID, "%s: unknown decay '%s' (none, cosine, plateau)", name,
                        text);
}
static void lr_decay_json(CvJson *j, const void *field) {
    cv_json_string(j, cv_train_lr_decay_name(*(const int *)field));
}

/* first | z-every-layer into CvTrainConfig.dec_z_all (0 / 1). */
static CvStatus parse_decoder(const char *name, const char *text, void *field, CvError *err) {
    if (strcmp(text, "first") && strcmp(text, "z-every-layer"))
        return cv_error_set(err, CV_ERR_INVALID, "%s expects first or z-every-layer, got '%s'",
                            name, text);
    *(int *)field = !strcmp(text, "z-every-layer");
    return CV_OK;
}
static void decoder_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const int *)field ? "z-every-layer" : "first");
}

static const CvParamType PRESET = {1, "NAME", parse_preset, preset_json};
static const CvParamType KL_SCHEDULE = {1, "S", parse_kl_schedule, kl_schedule_json};
static const CvParamType LR_DECAY = {1, "D", parse_lr_decay, lr_decay_json};
static const CvParamType DECODER = {1, "D", parse_decoder, decoder_json};

/* ---- the parameters ------------------------------------------------------------------- */

#define C(field) offsetof(CvTrainConfig, field)
#define T(field) offsetof(CvTrainConfig, train.field)
static const CvParam PARAMS[] = {
    CV_PARAM("data", 'd', CV_PARAM_STRING, C(data), "FILE",
             "dataset from `chemvae ingest` (required)"),
    CV_PARAM("out", 'o', CV_PARAM_STRING, C(out), "FILE",
             "checkpoint path (default results/models/model.cvae)", .flags = CV_PARAM_NOCONFIG),
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
};
#undef C
#undef T
const CvParamTable cv_train_params = CV_PARAM_TABLE(PARAMS);

CvStatus cv_train_check(const CvTrainConfig *c, CvError *err) {
    const TrainOptions *o = &c->train;
    if (!c->data) return cv_error_set(err, CV_ERR_INVALID, "--data is required");
    if (!c->out) return cv_error_set(err, CV_ERR_INVALID, "--out is required");
    if (c->latent < 0 || c->hidden < 0 || c->enc_dense < 0 || c->dec_dense < 0 ||
        c->gru_layers < 0 || c->latent > VAE_MAX_WIDTH || c->hidden > VAE_MAX_WIDTH ||
        c->enc_dense > VAE_MAX_WIDTH || c->dec_dense > VAE_MAX_WIDTH ||
        c->gru_layers > GRU_MAX_LAYERS)
        return cv_error_set(err, CV_ERR_INVALID,
                            "--latent, --hidden, --enc-dense and --dec-dense are at most %d, "
                            "--gru-layers at most %d",
                            VAE_MAX_WIDTH, GRU_MAX_LAYERS);
    if (o->epochs < 1 || o->batch > CV_TRAIN_MAX_BATCH)
        return cv_error_set(err, CV_ERR_INVALID, "--epochs must be >= 1 and --batch at most %d",
                            CV_TRAIN_MAX_BATCH);
    if (o->batch < 2) return cv_error_set(err, CV_ERR_INVALID, "--batch must be at least 2");
    if (!(o->word_dropout >= 0.0f && o->word_dropout < 1.0f))
        return cv_error_set(err, CV_ERR_INVALID, "--word-dropout %g must be in [0, 1)",
                            (double)o->word_dropout);
    if (o->bucket && o->bn_freeze < 0.0f)
        return cv_error_set(err, CV_ERR_INVALID,
                            "--bucket needs --bn-freeze E: length buckets need frozen batchnorm");
    if (!(o->free_bits >= 0.0f) || !(o->ae_warmup >= 0.0f) || !(o->kl_ramp > 0.0f))
        return cv_error_set(err, CV_ERR_INVALID,
                            "--free-bits and --ae-warmup must be >= 0 and --kl-ramp > 0");
    return CV_OK;
}

/* Fills a fresh checkpoint description from the dataset. */
static CvStatus meta_from_dataset(CkptMeta *m, const VaeConfig *cfg, const CvDataset *ds,
                                  const char *data_path, CvError *err) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    CvStatus st =
        cv_ckpt_meta_set_vocab(m, (const char *const *)ds->vocab.tokens, (int)ds->vocab.n, err);
    if (st) return st;
    if (ds->P > CKPT_MAX_PROPS)
        return cv_error_set(err, CV_ERR_INVALID, "%s: %zu properties; at most %d are supported",
                            data_path, ds->P, CKPT_MAX_PROPS);
    m->P = (int)ds->P;
    for (size_t p = 0; p < ds->P; p++) {
        snprintf(m->prop_names[p], CKPT_NAME_MAX, "%s", ds->prop_names[p]);
        m->prop_mean[p] = ds->prop_mean[p];
        m->prop_std[p] = ds->prop_std[p];
    }
    return cv_hash_file(data_path, m->dataset_hash, err);
}

/* The model continued from the checkpoint at c->out, which must fit the dataset. */
static CvStatus resume_model(CvTrainJob *job, const CvTrainConfig *c, CvError *err) {
    CvStatus st = cv_ckpt_load(c->out, &job->vae, &job->meta, c->train.batch, 1, NULL, err);
    if (!st) st = cv_ckpt_meta_check_vocab(&job->meta, &job->ds.vocab, c->out, c->data, err);
    if (st) return st;
    const CkptMeta *m = &job->meta;
    if ((size_t)m->cfg.T != job->ds.T || (size_t)m->cfg.P != job->ds.P)
        return cv_error_set(err, CV_ERR_MISMATCH,
                            "%s (T=%d, %d properties) does not match %s (T=%zu, %zu properties)",
                            c->out, m->cfg.T, m->cfg.P, c->data, job->ds.T, job->ds.P);
    job->resumed = 1;
    return CV_OK;
}

/* A fresh model: the preset's sizes for the dataset's shape, with the config's overrides. */
static CvStatus build_model(CvTrainJob *job, const CvTrainConfig *c, CvError *err) {
    const CvDataset *ds = &job->ds;
    VaeConfig cfg;
    CvStatus st = cv_vae_config_preset(c->preset, (int)ds->T, (int)ds->V, (int)ds->P, &cfg, err);
    if (st) return st;
    cfg.dec_z_all = c->dec_z_all;
    if (c->latent) cfg.Z = c->latent;
    if (c->hidden) cfg.H = c->hidden;
    if (c->gru_layers) cfg.gru_layers = c->gru_layers;
    if (c->enc_dense) cfg.enc_dense = c->enc_dense;
    if (c->dec_dense) cfg.dec_dense = c->dec_dense;
    CvRng rng;
    cv_rng_init(&rng, c->train.seed);
    st = cv_vae_init(&job->vae, &cfg, c->train.batch, &rng, err);
    if (!st) st = meta_from_dataset(&job->meta, &cfg, ds, c->data, err);
    return st;
}

CvStatus cv_train_job_open(CvTrainJob *job, const CvTrainConfig *c, CvError *err) {
    memset(job, 0, sizeof *job);
    CvStatus st = cv_dist_open(&job->dist, err);
    if (!st) st = cv_train_check(c, err);
    /* outputs checked before the first epoch, not after it */
    if (!st) st = cv_output_check(c->out, err);
    if (!st && c->train.best) st = cv_output_check(c->train.best, err);
    if (!st) st = cv_dataset_load(&job->ds, c->data, err);
    if (st) return st;
    if (c->resume && access(c->out, F_OK) == 0) st = resume_model(job, c, err);
    else st = build_model(job, c, err);
    if (st) return st;
    job->opts = c->train;
    job->opts.checkpoint = c->out;
    job->opts.dist = job->dist;
    cv_vae_config_describe(&job->vae.cfg, job->model_desc, sizeof job->model_desc);
    cv_train_options_describe(&job->opts, job->options_desc, sizeof job->options_desc);
    return CV_OK;
}

void cv_train_job_describe(const CvTrainJob *job, CvJson *j) {
    cv_json_kv_string(j, "model", job->model_desc);
    cv_json_kv_string(j, "options", job->options_desc);
    cv_json_kv_int(j, "params", (int64_t)job->vae.params.total);
}

/* Appends printf-style text at buf + *len, within cap bytes (truncated, NUL-terminated). */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    if (*len >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

const char *cv_train_epoch_line(const CvTrainJob *job, const EpochReport *r, char *buf,
                                size_t cap) {
    size_t n = 0;
    if (cap) buf[0] = '\0';
    append(buf, cap, &n,
           "epoch %3d  beta %.4f  train loss %.4f recon %.4f kl %.3f prop %.4f acc %.4f | valid "
           "loss %.4f recon %.4f kl %.3f acc %.4f tf-exact %.3f exact %.3f au %d%s |",
           r->epoch, r->beta, r->train.loss, r->train.recon, r->train.kl, r->train.prop,
           r->train_acc, r->valid.loss, r->valid.recon, r->valid.kl, r->valid_acc, r->tf_exact,
           r->recon_exact, r->active_units, r->best ? " best" : "");
    for (size_t p = 0; p < job->ds.P; p++)
        append(buf, cap, &n, " mae %s %.3f", job->ds.prop_names[p], r->prop_mae[p]);
    append(buf, cap, &n, " | %.0f mol/s %.0f s", r->mol_per_s, r->seconds);
    return buf;
}

/* What cv_train_run's hooks reach during cv_train_job_run. */
typedef struct {
    CvTrainJob *job;
    const CvHooks *h;
    CvTrainResult *res;
} TrainCtx;

/* The extra JSON of the epoch's valid row (into ex) and its two training_metrics rows. */
static CvStatus epoch_rows(const CvTrainJob *job, const EpochReport *r, CvJson *ex,
                           StoreTrainingMetric rows[2], CvError *err) {
    cv_json_begin_object(ex);
    cv_json_kv_double(ex, "recon_exact", r->recon_exact);
    cv_json_kv_double(ex, "tf_exact", r->tf_exact);
    cv_json_kv_int(ex, "active_units", r->active_units);
    cv_json_kv_double(ex, "kl_dim_max", r->kl_dim_max);
    cv_json_kv_int(ex, "augment_kept", (int64_t)r->augment_kept);
    cv_json_kv_int(ex, "best", r->best);
    cv_json_kv_double(ex, "mol_per_s", r->mol_per_s);
    cv_json_kv_double(ex, "seconds", r->seconds);
    for (size_t p = 0; p < job->ds.P; p++)
        cv_json_kv_double(ex, job->ds.prop_names[p], r->prop_mae[p]);
    cv_json_end_object(ex);
    const char *extra = cv_json_text(ex, err);
    if (!extra) return CV_ERR_NOMEM;
    const VaeLoss *l[2] = {&r->train, &r->valid};
    for (int k = 0; k < 2; k++)
        rows[k] = (StoreTrainingMetric){.epoch = r->epoch,
                                        .step = r->step,
                                        .split = k ? "valid" : "train",
                                        .loss = l[k]->loss,
                                        .recon = l[k]->recon,
                                        .kl = l[k]->kl,
                                        .prop = l[k]->prop,
                                        .beta = r->beta,
                                        .lr = r->lr,
                                        .accuracy = k ? r->valid_acc : r->train_acc,
                                        .extra = k ? extra : NULL};
    return CV_OK;
}

#define HISTORY_HEADER "epoch,step,split,loss,recon,kl,prop,beta,lr,accuracy,extra\n"

/* Appends the rows to the checkpoint's history file. */
static CvStatus history_append(const CvTrainJob *job, const StoreTrainingMetric *rows,
                               CvError *err) {
    char *path = cv_train_history_path(job->opts.checkpoint);
    FILE *fp = path ? fopen(path, "a") : NULL;
    if (!fp) {
        CvStatus st = cv_error_set(err, CV_ERR_IO, "%s: %s", path ? path : "history",
                                   path ? strerror(errno) : "out of memory");
        free(path);
        return st;
    }
    for (int k = 0; k < 2; k++) {
        const StoreTrainingMetric *m = &rows[k];
        fprintf(fp, "%ld,%ld,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,", m->epoch, m->step,
                m->split, m->loss, m->recon, m->kl, m->prop, m->beta, m->lr, m->accuracy);
        if (m->extra) cv_csv_str(fp, m->extra);
        fputc('\n', fp);
    }
    int bad = ferror(fp) | (fclose(fp) != 0);
    CvStatus st = bad ? cv_error_set(err, CV_ERR_IO, "%s: write failed", path) : CV_OK;
    free(path);
    return st;
}

/* Starts the history file: anew, or (resumed) keeping the header and the rows of the epochs
 * the checkpoint holds. */
static CvStatus history_start(const CvTrainJob *job, CvError *err) {
    char *path = cv_train_history_path(job->opts.checkpoint);
    if (!path) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    CvBuf keep = {0};
    cv_buf_append(&keep, HISTORY_HEADER, sizeof HISTORY_HEADER - 1);
    FILE *in = job->resumed ? fopen(path, "r") : NULL;
    char line[8192];
    for (int first = 1; in && fgets(line, sizeof line, in); first = 0)
        if (!first && strtol(line, NULL, 10) <= job->meta.epoch)
            cv_buf_append(&keep, line, strlen(line));
    if (in) fclose(in);
    CvStatus st = cv_atomic_write_file(path, keep.p, keep.len, err);
    free(keep.p);
    free(path);
    return st;
}

static CvStatus on_epoch(void *vctx, const EpochReport *r, CvError *err) {
    TrainCtx *c = vctx;
    c->res->epochs_run++;
    CvStatus st =
        c->job->on_epoch ? c->job->on_epoch(c->job->on_epoch_user, c->job, r, err) : CV_OK;
    CvJson ex = {0};
    StoreTrainingMetric rows[2];
    if (!st) st = epoch_rows(c->job, r, &ex, rows, err);
    if (!st) st = history_append(c->job, rows, err);
    if (!st && c->h && c->h->db)
        st = cv_store_insert_training_metrics(c->h->db, c->h->run_id, rows, 2, err);
    cv_json_free(&ex);
    return st;
}

static void on_step(void *vctx, int epoch, size_t done, size_t total, const VaeLoss *l) {
    TrainCtx *c = vctx;
    (void)epoch;
    char status[128];
    if (l)
        snprintf(status, sizeof status, "loss %.3f recon %.3f kl %.2f acc %.3f", l->loss, l->recon,
                 l->kl, l->tokens ? (double)l->correct / (double)l->tokens : 0.0);
    cv_hooks_progress(c->h, done, total, l ? status : NULL);
}

static int on_poll(void *vctx) {
    TrainCtx *c = vctx;
    if (!c->res->interrupted) c->res->interrupted = cv_hooks_interrupted(c->h);
    return c->res->interrupted;
}

CvStatus cv_train_job_run(CvTrainJob *job, const CvHooks *h, CvTrainResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    TrainCtx ctx = {job, h, res};
    TrainHooks th = {.on_epoch = on_epoch,
                     .ctx = &ctx,
                     .on_step = h && h->progress ? on_step : NULL,
                     .interrupted = on_poll};
    CvStatus st = cv_dist_rank(job->dist) == 0 ? history_start(job, err) : CV_OK;
    if (!st) st = cv_train_run(&job->vae, &job->meta, &job->ds, &job->opts, &th, err);
    res->epoch = job->meta.epoch;
    res->step = job->meta.step;
    if (st == CV_ERR_INTERRUPTED && res->interrupted) {
        snprintf(res->stop_message, sizeof res->stop_message, "%s", err ? err->msg : "");
        cv_error_clear(err);
        st = CV_OK;
    }
    if (!st) st = cv_run_finish(h, NULL, 0, res->interrupted, err);
    if (st) cv_run_fail(h);
    job->finished = st == CV_OK;
    return st;
}

void cv_train_job_close(CvTrainJob *job) {
    cv_ckpt_meta_free(&job->meta);
    cv_vae_free(&job->vae);
    cv_dataset_free(&job->ds);
    cv_dist_close(job->dist, !job->finished);
    memset(job, 0, sizeof *job);
}

CvStatus cv_train(const CvTrainConfig *cfg, const CvHooks *h, CvTrainResult *res, CvError *err) {
    CvTrainJob job;
    CvStatus st = cv_train_job_open(&job, cfg, err);
    if (st) {
        memset(res, 0, sizeof *res);
        cv_run_fail(h);
    } else {
        st = cv_train_job_run(&job, h, res, err);
    }
    cv_train_job_close(&job);
    return st;
}

CvStatus cv_train_export(const char *src, const char *dst, long *epoch, long *step, CvError *err) {
    Vae vae = {0};
    CkptMeta meta = {0};
    CvStatus st = cv_ckpt_load(src, &vae, &meta, 1, 0, NULL, err);
    if (!st) st = cv_ckpt_save(dst, &vae, &meta, 0, err);
    if (!st && epoch) *epoch = meta.epoch;
    if (!st && step) *step = meta.step;
    cv_vae_free(&vae);
    cv_ckpt_meta_free(&meta);
    return st;
}

CvStatus cv_train_refit_head(const char *data, const char *model, int epochs, float lr,
                             uint64_t seed, CvRefitResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    CvDataset ds = {0};
    Vae vae = {0};
    CkptMeta meta = {0};
    int has_opt = 0;
    CvStatus st = cv_dataset_load(&ds, data, err);
    if (!st) st = cv_ckpt_load(model, &vae, &meta, 256, 1, &has_opt, err);
    if (!st) st = cv_ckpt_meta_check_vocab(&meta, &ds.vocab, model, data, err);
    if (!st) st = cv_head_refit(&vae, &ds, epochs, lr, seed, &res->report, err);
    if (!st) {
        res->P = ds.P < CKPT_MAX_PROPS ? ds.P : CKPT_MAX_PROPS;
        for (size_t p = 0; p < res->P; p++)
            snprintf(res->prop_names[p], CKPT_NAME_MAX, "%s", ds.prop_names[p]);
        st = cv_ckpt_save(model, &vae, &meta, has_opt, err);
    }
    cv_vae_free(&vae);
    cv_ckpt_meta_free(&meta);
    cv_dataset_free(&ds);
    return st;
}

char *cv_train_history_path(const char *model_path) {
    static const char EXT[] = ".cvae", SUFFIX[] = ".training.csv";
    size_t n = strlen(model_path), e = sizeof EXT - 1;
    if (n > e && !strcmp(model_path + n - e, EXT)) n -= e;
    char *p = malloc(n + sizeof SUFFIX);
    if (!p) return NULL;
    memcpy(p, model_path, n);
    memcpy(p + n, SUFFIX, sizeof SUFFIX);
    return p;
}
