/* chemvae.h — the umbrella header of libchemvae: one include for a program that uses the
 * library (`#include <chemvae/chemvae.h>`, `pkg-config --cflags --libs chemvae`). It pulls
 * in every public header, grouped by layer from the bottom up; a header's layer is the
 * directory it sits in (src/README.md describes them):
 *
 *   core      buffers, errors, files, JSON, CSV output, RNG, parallel-for, version
 *   chem      RDKit: validation, canonical SMILES, scores, fingerprints
 *   data      CSV input, tokenizer, vocabulary, datasets, SMILES grammar
 *   nn        layers, optimizer, GEMM
 *   model     the VAE, training, checkpoints, evaluation
 *   latent    decoding and optimization in latent space
 *   store     the SQLite results database
 *   app       the application jobs: train, eval, encode, decode, sample, optimize, ...
 *   report    the HTML report of a results database
 *   pipeline  pipeline files and their runner
 *
 * The version macros (CHEMVAE_VERSION_MAJOR, _MINOR, _PATCH, CHEMVAE_VERSION_STRING) come
 * from chemvae/core/version.h; cv_version() gives the version of the library in use.
 * Every exported function is named cv_*. */
#ifndef CHEMVAE_CHEMVAE_H
#define CHEMVAE_CHEMVAE_H

#include "chemvae/core/buf.h"
#include "chemvae/core/csvout.h"
#include "chemvae/core/error.h"
#include "chemvae/core/fileio.h"
#include "chemvae/core/json.h"
#include "chemvae/core/parfor.h"
#include "chemvae/core/pca.h"
#include "chemvae/core/progress.h"
#include "chemvae/core/rng.h"
#include "chemvae/core/version.h"
#include "chemvae/chem/chem.h"
#include "chemvae/data/augment.h"
#include "chemvae/data/csvin.h"
#include "chemvae/data/dataset.h"
#include "chemvae/data/ingest.h"
#include "chemvae/data/smiles_grammar.h"
#include "chemvae/data/tokenizer.h"
#include "chemvae/data/vocab.h"
#include "chemvae/nn/activation.h"
#include "chemvae/nn/adam.h"
#include "chemvae/nn/batchnorm.h"
#include "chemvae/nn/conv1d.h"
#include "chemvae/nn/dense.h"
#include "chemvae/nn/dropout.h"
#include "chemvae/nn/gemm_packed.h"
#include "chemvae/nn/gru.h"
#include "chemvae/nn/loss.h"
#include "chemvae/nn/params.h"
#include "chemvae/nn/rowpar.h"
#include "chemvae/model/checkpoint.h"
#include "chemvae/model/evaluate.h"
#include "chemvae/model/head.h"
#include "chemvae/model/train.h"
#include "chemvae/model/vae.h"
#include "chemvae/latent/latent.h"
#include "chemvae/latent/latent_objective.h"
#include "chemvae/latent/latent_optimize.h"
#include "chemvae/store/store.h"
#include "chemvae/app/app.h"
#include "chemvae/app/app_codec.h"
#include "chemvae/app/app_eval.h"
#include "chemvae/app/app_ingest.h"
#include "chemvae/app/app_interpolate.h"
#include "chemvae/app/app_model.h"
#include "chemvae/app/app_optimize.h"
#include "chemvae/app/app_sample.h"
#include "chemvae/app/app_score.h"
#include "chemvae/app/app_train.h"
#include "chemvae/app/app_usage.h"
#include "chemvae/app/app_vocab.h"
#include "chemvae/report/report.h"
#include "chemvae/pipeline/pipefile.h"
#include "chemvae/pipeline/pipeline.h"
#include "chemvae/pipeline/pipestate.h"

#endif
