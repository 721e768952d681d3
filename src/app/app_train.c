/* app_train.c — the train job, the checkpoint export and the property-head refit (see
 * app_train.h). The training loop itself is cv_train_run (src/model/train.c); this file is the
 * job around it: the dataset, the model built from a preset or resumed from its checkpoint,
 * the hooks translated into cv_train_run's, and each epoch recorded in the results DB. */
#include "chemvae/app/app_train.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/core/fileio.h"
#include "chemvae/nn/gru.h"

void cv_train_config_default(CvTrainConfig *c) {
    memset(c, 0, sizeof *c);
    c->preset = "small";
    cv_train_options_default(&c->train);
}

static CvStatus check_config(const CvTrainConfig *c, CvError *err) {
    const TrainOptions *o = &c->train;
    if (!c->data || !c->out)
        return cv_error_set(err, CV_ERR_INVALID,
                            "train: a dataset and an output path are required");
    if (c->latent < 0 || c->hidden < 0 || c->enc_dense < 0 || c->dec_dense < 0 ||
        c->gru_layers < 0 || c->latent > VAE_MAX_WIDTH || c->hidden > VAE_MAX_WIDTH ||
        c->enc_dense > VAE_MAX_WIDTH || c->dec_dense > VAE_MAX_WIDTH ||
        c->gru_layers > GRU_MAX_LAYERS)
        return cv_error_set(err, CV_ERR_INVALID,
                            "train: latent, hidden, enc_dense and dec_dense are at most %d, "
                            "gru_layers at most %d",
                            VAE_MAX_WIDTH, GRU_MAX_LAYERS);
    if (o->epochs < 1 || o->batch < 2 || o->batch > CV_TRAIN_MAX_BATCH)
        return cv_error_set(err, CV_ERR_INVALID,
                            "train: epochs must be >= 1 and batch in 2..%d, got %d and %zu",
                            CV_TRAIN_MAX_BATCH, o->epochs, o->batch);
    if (!(o->word_dropout >= 0.0f && o->word_dropout < 1.0f))
        return cv_error_set(err, CV_ERR_INVALID, "train: word dropout %g must be in [0, 1)",
                            (double)o->word_dropout);
    if (o->bucket && o->bn_freeze < 0.0f)
        return cv_error_set(err, CV_ERR_INVALID,
                            "train: length buckets need frozen batchnorm (bn_freeze >= 0)");
    if (!(o->free_bits >= 0.0f) || !(o->ae_warmup >= 0.0f) || !(o->kl_ramp > 0.0f))
        return cv_error_set(err, CV_ERR_INVALID,
                            "train: free bits and the autoencoder warm-up must be >= 0 and the "
                            "KL ramp > 0");
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
    CvStatus st = check_config(c, err);
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
    cv_vae_config_describe(&job->vae.cfg, job->model_desc, sizeof job->model_desc);
    cv_train_options_describe(&job->opts, job->options_desc, sizeof job->options_desc);
    return CV_OK;
}

void cv_train_job_describe(const CvTrainJob *job, CvJson *j) {
    cv_json_kv_string(j, "model", job->model_desc);
    cv_json_kv_string(j, "options", job->options_desc);
    cv_json_kv_int(j, "params", (int64_t)job->vae.params.total);
}

/* What cv_train_run's hooks reach during cv_train_job_run. */
typedef struct {
    CvTrainJob *job;
    const CvHooks *h;
    CvTrainResult *res;
} TrainCtx;

/* The epoch's two training_metrics rows (train, valid) in the hooks' run. */
static CvStatus record_epoch(const CvTrainJob *job, const CvHooks *h, const EpochReport *r,
                             CvError *err) {
    CvJson ex = {0};
    cv_json_begin_object(&ex);
    cv_json_kv_double(&ex, "recon_exact", r->recon_exact);
    cv_json_kv_double(&ex, "tf_exact", r->tf_exact);
    cv_json_kv_int(&ex, "active_units", r->active_units);
    cv_json_kv_double(&ex, "kl_dim_max", r->kl_dim_max);
    cv_json_kv_int(&ex, "augment_kept", (int64_t)r->augment_kept);
    cv_json_kv_int(&ex, "best", r->best);
    cv_json_kv_double(&ex, "mol_per_s", r->mol_per_s);
    cv_json_kv_double(&ex, "seconds", r->seconds);
    for (size_t p = 0; p < job->ds.P; p++)
        cv_json_kv_double(&ex, job->ds.prop_names[p], r->prop_mae[p]);
    cv_json_end_object(&ex);
    const char *extra = cv_json_text(&ex, err);
    if (!extra) return CV_ERR_NOMEM;
    StoreTrainingMetric rows[2] = {
        {.epoch = r->epoch,
         .step = r->step,
         .split = "train",
         .loss = r->train.loss,
         .recon = r->train.recon,
         .kl = r->train.kl,
         .prop = r->train.prop,
         .beta = r->beta,
         .lr = r->lr,
         .accuracy = r->train_acc,
         .extra = NULL},
        {.epoch = r->epoch,
         .step = r->step,
         .split = "valid",
         .loss = r->valid.loss,
         .recon = r->valid.recon,
         .kl = r->valid.kl,
         .prop = r->valid.prop,
         .beta = r->beta,
         .lr = r->lr,
         .accuracy = r->valid_acc,
         .extra = extra},
    };
    CvStatus st = cv_store_insert_training_metrics(h->db, h->run_id, rows, 2, err);
    cv_json_free(&ex);
    return st;
}

static CvStatus on_epoch(void *vctx, const EpochReport *r, CvError *err) {
    TrainCtx *c = vctx;
    c->res->epochs_run++;
    CvStatus st =
        c->job->on_epoch ? c->job->on_epoch(c->job->on_epoch_user, c->job, r, err) : CV_OK;
    if (!st && c->h && c->h->db) st = record_epoch(c->job, c->h, r, err);
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
    CvStatus st = cv_train_run(&job->vae, &job->meta, &job->ds, &job->opts, &th, err);
    res->epoch = job->meta.epoch;
    res->step = job->meta.step;
    if (st == CV_ERR_INTERRUPTED && res->interrupted) {
        snprintf(res->stop_message, sizeof res->stop_message, "%s", err ? err->msg : "");
        cv_error_clear(err);
        st = CV_OK;
    }
    if (!st) st = cv_run_finish(h, NULL, 0, res->interrupted, err);
    if (st) cv_run_fail(h);
    return st;
}

void cv_train_job_close(CvTrainJob *job) {
    cv_ckpt_meta_free(&job->meta);
    cv_vae_free(&job->vae);
    cv_dataset_free(&job->ds);
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
