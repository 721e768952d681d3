/* app_predict.h — the predict job: the property head's predictions for a file of
 * molecules, beside the true values where they are known.
 *
 * Input: what the score job reads (app_score.h: a list, one SMILES per line, or a CSV
 * column), or a dataset (.cvds) split. Each molecule is canonicalized by RDKit and encoded
 * alone (cv_encode: its mean mu does not depend on the other rows, and equals `chemvae
 * encode`'s); the head predicts each of the model's properties from mu in real units.
 * True values: for a .cvds input the dataset's own values of the head's properties (by
 * name); otherwise RDKit's, for each property RDKit computes (logP, QED, SA, MW, penalized
 * logP, by the names cv_latent_prop_lookup knows: "logP", "qed", "SAS", ...), NaN for any
 * other. A row that cannot be encoded (RDKit rejects it, a token outside the vocabulary,
 * too long) is a row with an error; the rest of the input goes on. Nothing is recorded in
 * a results DB. */
#ifndef CHEMVAE_APP_PREDICT_H
#define CHEMVAE_APP_PREDICT_H

#include "chemvae/app/app.h"
#include "chemvae/app/app_model.h"
#include "chemvae/app/app_rows.h"
#include "chemvae/app/app_score.h"
#include "chemvae/data/dataset.h"

typedef struct {
    CvScoreConfig input; /* a list, lines or a CSV column, as the score job reads them (its
                            threads parse and score with RDKit); ignored for a dataset */
    const char *data;    /* a dataset (.cvds) to read instead, NULL: read `input` */
    int split;           /* the dataset's split: CV_SPLIT_TEST (default) / VALID / TRAIN */
    int latent;          /* cv_predict_write: the rows carry mu */
} CvPredictConfig;

#define CV_PREDICT_DEFAULTS                                                                        \
    { .input = CV_SCORE_DEFAULTS, .split = CV_SPLIT_TEST }

/* The job's own parameters over CvPredictConfig: data, split, latent (the input's are
 * cv_score_params at offsetof(CvPredictConfig, input)). */
extern const CvParamTable cv_predict_params;

typedef struct {
    size_t index;          /* 0-based row of the input (of the split for a dataset) */
    const char *input;     /* the value as read */
    const char *canonical; /* the SMILES encoded, NULL when the row was not */
    const char *error;     /* why it was not encoded, NULL when it was */
    const float *mu;       /* (Z) the encoder's mean, when encoded */
    const double *pred;    /* (P) the head's predictions in real units, when encoded */
    const double *truth;   /* (P) the true values, NaN where unknown */
} CvPredictRow;

typedef struct {
    /* Called once per batch with its n rows in input order; a non-CV_OK return (with err
     * set) stops the job with that status. */
    CvStatus (*rows)(void *user, const CvPredictRow *rows, size_t n, CvError *err);
    void *user;
} CvPredictSink;

typedef struct {
    size_t n_rows, n_predicted;
    size_t P, Z;
    const char *prop_names[CKPT_MAX_PROPS]; /* the head's, borrowed from the model */
    double mae[CKPT_MAX_PROPS];             /* mean |pred - truth| over rows with both, NaN
                                               when no row has a true value */
    size_t mae_n[CKPT_MAX_PROPS];
    int interrupted; /* what CvHooks.interrupted returned, or 0 */
} CvPredictResult;

/* Runs the job on model m. h (NULL-able) gets progress and is polled between batches (an
 * interrupt stops the job with CV_OK and res->interrupted set). Errors: those of the score
 * job's reading (app_score.h), CV_ERR_IO / CV_ERR_FORMAT for a dataset that cannot be
 * loaded, CV_ERR_INVALID for a model without a property head or a split out of range,
 * CV_ERR_NOMEM, whatever the sink returns. */
CvStatus cv_predict(CvModel *m, const CvPredictConfig *cfg, const CvPredictSink *sink,
                    const CvHooks *h, CvPredictResult *res, CvError *err);

/* The rows of a predict job on m as a table on fp (app_rows.h): begin writes the header
 * index,input,smiles, then <prop>,<prop>_true for each of m's properties, z0..z{Z-1} when
 * c->latent, error; write adds rows (an empty prediction where the row has none). End the
 * table with cv_rows_end. */
void cv_predict_write_begin(CvRows *t, const CvModel *m, const CvPredictConfig *c, FILE *fp,
                            CvRowsFormat format);
void cv_predict_write(CvRows *t, const CvModel *m, const CvPredictConfig *c,
                      const CvPredictRow *rows, size_t n);

#endif
