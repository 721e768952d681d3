/* app_train.h — the train job: the VAE trained on a dataset from `chemvae ingest` (cv_train_run,
 * train.h), from scratch (a preset's sizes, optionally overridden) or resumed from its
 * checkpoint, with a checkpoint written after every epoch and on interruption and every
 * epoch recorded in the results DB. Also the two jobs on a finished checkpoint: an
 * inference-only export and a refit of the property head.
 *
 * The job has three steps because a run's stored config describes the model, which exists
 * only once the dataset is loaded and the model built or resumed: cv_train_job_open (outputs
 * checked, dataset loaded, model built or resumed), then the caller begins its run (with
 * cv_train_job_describe's members in the config), then cv_train_job_run; cv_train_job_close frees.
 * cv_train does the three in one call for callers that record nothing or begin their run
 * without the model's description.
 *
 * Recorded (CvHooks.db): two training_metrics rows per epoch, split "train" and "valid"; the
 * valid row's extra JSON holds recon_exact, tf_exact, active_units, kl_dim_max,
 * augment_kept, best, mol_per_s, seconds and the validation MAE of each property by name.
 * The run is then finished ok or interrupted, or marked failed.
 * CvHooks.interrupted is polled after every optimizer step: the step finishes, the
 * checkpoint is written and the job returns CV_OK with the result's `interrupted` set.
 * CvHooks.progress is called as each epoch starts (status NULL) and after every step, with
 * the molecules of the epoch in progress done and the epoch's total (it restarts each epoch)
 * and the step's loss as status. */
#ifndef CHEMVAE_APP_TRAIN_H
#define CHEMVAE_APP_TRAIN_H

#include "chemvae/app/app.h"
#include "chemvae/app/app_params.h"
#include "chemvae/model/checkpoint.h"
#include "chemvae/data/dataset.h"
#include "chemvae/model/head.h"
#include "chemvae/model/train.h"
#include "chemvae/model/vae.h"

/* The largest batch a training step takes. */
#define CV_TRAIN_MAX_BATCH 65536

typedef struct {
    const char *data;   /* the dataset (.cvds); required */
    const char *out;    /* the checkpoint written after every epoch; required */
    int resume;         /* continue from the checkpoint at `out` when it exists */
    const char *preset; /* the model's sizes: "paper" | "small" | "tiny" (cv_vae_config_preset) */
    int latent, hidden, gru_layers, enc_dense, dec_dense; /* > 0: instead of the preset's */
    int dec_z_all;      /* the decoder: z enters every GRU layer (chemical_vae's) */
    TrainOptions train; /* the recipe; train.checkpoint is ignored (`out` is written) */
} CvTrainConfig;

/* The defaults: preset "small", no overrides, cv_train_options_default; data and out NULL. */
void cv_train_config_default(CvTrainConfig *c);

/* The job's parameters (app_params.h) over CvTrainConfig: data, out, resume, preset, the
 * size overrides (latent, hidden, gru-layers, enc-dense, dec-dense), decoder and the
 * recipe (epochs, batch, lr, beta1, beta2, clip, kl-schedule, kl-max, kl-slope, kl-center,
 * kl-ramp, ae-warmup, free-bits, word-dropout, augment, bn-freeze, bucket, full-decode,
 * lr-warmup, lr-decay, lr-min, lr-factor, lr-patience, best, prop-weight, seed, max-steps,
 * recon-sample). out and best, paths of outputs, are not recorded. */
extern const CvParamTable cv_train_params;

/* Checks a config before any work: data and out set, the size overrides within the model's
 * limits, epochs >= 1, batch in 2..CV_TRAIN_MAX_BATCH, word dropout in [0, 1), bucket only
 * with bn_freeze >= 0, free bits and the warm-up >= 0, the KL ramp > 0. CV_ERR_INVALID with
 * a message naming the parameters as the command line spells them ("--batch"). */
CvStatus cv_train_check(const CvTrainConfig *c, CvError *err);

typedef struct CvTrainJob {
    CvDataset ds;            /* the dataset (its vocabulary is the model's) */
    Vae vae;                 /* the model, with its Adam state */
    CkptMeta meta;           /* its checkpoint description; epoch, step: where it stands */
    TrainOptions opts;       /* the config's recipe, checkpoint = the config's out */
    int resumed;             /* 1: continues the checkpoint at out */
    char model_desc[512];    /* cv_vae_config_describe of the model */
    char options_desc[1024]; /* cv_train_options_describe of opts */
    /* Called after every epoch, before the epoch is recorded (NULL: none); set it between
     * cv_train_job_open and cv_train_job_run. A non-CV_OK return (with err set) stops training with
     * that error. */
    CvStatus (*on_epoch)(void *user, const struct CvTrainJob *job, const EpochReport *r,
                         CvError *err);
    void *on_epoch_user;
    /* The process group (nn/dist.h): under `mpirun -np N` (a build with MPI) every process
     * runs the job and trains its share of each batch; only rank 0 writes the checkpoint
     * and calls on_epoch and the progress hook; the caller records a run on rank 0 only.
     * Otherwise rank 0 of 1. */
    CvDist *dist;
    int finished; /* cv_train_job_run ended without an error */
} CvTrainJob;

typedef struct {
    long epoch, step; /* where the checkpoint stands (epochs finished, optimizer steps) */
    int epochs_run;   /* epochs this call finished */
    int interrupted;  /* what CvHooks.interrupted returned, or 0 */
    char stop_message[CV_ERRMSG_MAX]; /* interrupted: "interrupted at step S (epoch E);
                                         checkpoint written to PATH" */
} CvTrainResult;

/* Checks the config (cv_train_check) and that the outputs (cfg->out, cfg->train.best) can be
 * written, loads the dataset and either resumes the checkpoint at cfg->out (cfg->resume and
 * the file exists: its vocabulary, length and properties must be the dataset's) or builds
 * the model of cfg->preset and the overrides, initialized by cfg->train.seed.
 * CV_ERR_INVALID for a config out of range (naming the setting), CV_ERR_MISMATCH for a checkpoint
 * of another dataset, I/O and memory errors as they come. *job is safe to cv_train_job_close in
 * every case. */
CvStatus cv_train_job_open(CvTrainJob *job, const CvTrainConfig *cfg, CvError *err);

/* Writes the members a run config describes the job by into the open JSON object j:
 * "model" (model_desc), "options" (options_desc), "params" (parameter count). */
void cv_train_job_describe(const CvTrainJob *job, CvJson *j);

/* The line `chemvae train` prints after an epoch (losses, accuracies, reconstruction, active
 * units, the MAE of each property, speed), without a newline, into buf (cap bytes,
 * truncated); returns buf. */
const char *cv_train_epoch_line(const CvTrainJob *job, const EpochReport *r, char *buf, size_t cap);

/* Trains the opened job to opts.epochs (or opts.max_steps), recording every epoch in the
 * hooks' run (see above) and finishing it. CV_OK also when interrupted (res->interrupted,
 * res->stop_message); CV_ERR_NUMERIC for a loss or gradient that is not finite (the last
 * good checkpoint is kept), I/O, store and memory errors as they come (the run is marked
 * failed). *res is filled in either case. */
CvStatus cv_train_job_run(CvTrainJob *job, const CvHooks *h, CvTrainResult *res, CvError *err);

/* Frees the job. A job of several processes that did not finish (an error on any of them,
 * or never run) aborts all of them (cv_dist_close): the others may be waiting for it. */
void cv_train_job_close(CvTrainJob *job);

/* cv_train_job_open, cv_train_job_run and cv_train_job_close in one call, for callers that record
 * nothing (h->db NULL) or have begun their run already; a failed open marks that run
 * failed. */
CvStatus cv_train(const CvTrainConfig *cfg, const CvHooks *h, CvTrainResult *res, CvError *err);

/* Writes an inference-only copy of checkpoint src (no Adam state: a third the size) to dst;
 * *epoch and *step (NULL-able) receive where the checkpoint stands. */
CvStatus cv_train_export(const char *src, const char *dst, long *epoch, long *step, CvError *err);

typedef struct {
    HeadRefitReport report; /* epochs run, best epoch, validation MAE before and after */
    size_t P;               /* properties */
    char prop_names[CKPT_MAX_PROPS][CKPT_NAME_MAX]; /* the dataset's */
} CvRefitResult;

/* Retrains only the property head of the checkpoint at `model` (with its Adam state) for
 * `epochs` epochs at learning rate lr on its latent means of the dataset at `data`
 * (cv_head_refit, head.h), keeps the best validation epoch and rewrites `model`. The dataset's
 * vocabulary must be the checkpoint's (CV_ERR_MISMATCH). */
CvStatus cv_train_refit_head(const char *data, const char *model, int epochs, float lr,
                             uint64_t seed, CvRefitResult *res, CvError *err);

/* The training history file of a checkpoint: model_path without its ".cvae" +
 * ".training.csv", malloc'd (NULL when out of memory). cv_train_job_run writes it beside
 * the checkpoint (rank 0): a header, then after every epoch its train and valid rows, the
 * columns of training_metrics (epoch, step, split, loss, recon, kl, prop, beta, lr,
 * accuracy, extra); a fresh run starts it anew, a resumed one keeps the rows of the epochs
 * its checkpoint holds. The report draws the curves from it when the DB has no run. */
char *cv_train_history_path(const char *model_path);

#endif
