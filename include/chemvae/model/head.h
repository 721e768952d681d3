/* head.h — refitting the property head of a trained VAE on its own latent means.
 *
 * During training the head learns on μ while μ itself moves (and, after an autoencoder
 * warm-up, starts large enough to saturate the head's first tanh layer), so it can end
 * behind what the final latent space supports. cv_head_refit freezes everything else,
 * encodes the train and validation molecules once, and trains the head alone (Adam,
 * fresh moments) on (μ, z-scored properties), keeping the weights with the lowest
 * validation error. The encoder and decoder are untouched, so the latent space and every
 * decode stay exactly as they were. */
#ifndef CHEMVAE_HEAD_H
#define CHEMVAE_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "chemvae/model/checkpoint.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/error.h"
#include "chemvae/model/vae.h"

typedef struct {
    int epochs_run, best_epoch;        /* best_epoch 0 = the head as it came */
    double mae_before[CKPT_MAX_PROPS]; /* validation MAE, real units */
    double mae_after[CKPT_MAX_PROPS];
} HeadRefitReport;

/* Refits vae's property head (see above) for `epochs` epochs at learning rate lr, batches of
 * vae->max_B, shuffled by `seed`. Needs cv_vae_init (gradients). The head ends with the weights
 * of its best validation epoch (possibly the original ones). CV_ERR_NOMEM; CV_ERR_INVALID
 * when the dataset has no properties. */
CvStatus cv_head_refit(Vae *vae, const CvDataset *ds, int epochs, float lr, uint64_t seed,
                       HeadRefitReport *report, CvError *err);

#endif
