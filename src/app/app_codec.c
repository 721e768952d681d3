/* app_codec.c — encoding SMILES and decoding latent vectors as library calls (see
 * app_codec.h). cv_encode runs the encoder on one SMILES at a time: batched GEMMs round
 * differently from single-row ones (by a few units in the 7th digit), and a molecule's
 * vector should not depend on which other molecules were encoded with it. RDKit's
 * canonicalization costs more than the encoder anyway. A row that cannot be encoded carries
 * its message and NaN vectors, so one bad SMILES never costs the others. cv_decode is
 * cv_latent_decode with one attempt per vector, after checking what a caller of the library
 * may get wrong. */
#include "chemvae/app/app_codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- encode ----------------------------------------------------------------------------- */

static void fill_nan(float *v, size_t Z) {
    for (size_t k = 0; k < Z; k++) v[k] = NAN;
}

/* Encodes input row i into mu + i·Z (and logvar), or records why it cannot be (row->error,
 * NaN outputs, *failed counted). ids is the caller's (T) scratch. CV_OK unless out of
 * memory. */
static CvStatus encode_row(CvModel *m, const char *smiles, size_t i, int32_t *ids, float *mu,
                           float *logvar, CvEncodeRow *row, size_t *failed, CvError *err) {
    size_t Z = (size_t)m->vae.cfg.Z, len;
    CvError why = {0};
    if (cv_model_encode_smiles(m, smiles, ids, &len, &why) == CV_OK) {
        cv_vae_encode(&m->vae, ids, 1, mu + i * Z, logvar ? logvar + i * Z : NULL);
        /* the row's tokens joined are the canonical SMILES it was made from */
        if (row && !(row->canonical = cv_vocab_decode(&m->vocab, ids, (size_t)m->vae.cfg.T)))
            return cv_error_set(err, CV_ERR_NOMEM, "encode: out of memory");
        return CV_OK;
    }
    if (why.code == CV_ERR_NOMEM) return cv_error_set(err, CV_ERR_NOMEM, "%s", why.msg);
    fill_nan(mu + i * Z, Z);
    if (logvar) fill_nan(logvar + i * Z, Z);
    (*failed)++;
    if (row && !(row->error = strdup(why.msg[0] ? why.msg : "cannot be encoded")))
        return cv_error_set(err, CV_ERR_NOMEM, "encode: out of memory");
    return CV_OK;
}

CvStatus cv_encode(CvModel *m, const char *const *smiles, size_t n, float *mu, float *logvar,
                   CvEncodeRow *rows, size_t *n_failed, CvError *err) {
    if (rows) memset(rows, 0, n * sizeof *rows);
    if (n_failed) *n_failed = 0;
    for (size_t i = 0; i < n; i++)
        if (!smiles[i]) return cv_error_set(err, CV_ERR_INVALID, "encode: SMILES %zu is NULL", i);
    int32_t *ids = malloc((size_t)m->vae.cfg.T * sizeof *ids);
    if (!ids) return cv_error_set(err, CV_ERR_NOMEM, "encode: out of memory");
    size_t failed = 0;
    CvStatus st = CV_OK;
    for (size_t i = 0; !st && i < n; i++)
        st = encode_row(m, smiles[i], i, ids, mu, logvar, rows ? &rows[i] : NULL, &failed, err);
    free(ids);
    if (st && rows) cv_encode_rows_free(rows, n);
    if (!st && n_failed) *n_failed = failed;
    return st;
}

void cv_encode_rows_free(CvEncodeRow *rows, size_t n) {
    if (!rows) return;
    for (size_t i = 0; i < n; i++) {
        free(rows[i].canonical);
        free(rows[i].error);
        rows[i] = (CvEncodeRow){0};
    }
}

/* ---- decode ----------------------------------------------------------------------------- */

static CvStatus check_decode(const CvModel *m, const float *z, size_t n, const CvDecodeConfig *c,
                             CvError *err) {
    if (!(c->temperature >= 0) || !isfinite(c->temperature))
        return cv_error_set(err, CV_ERR_INVALID, "decode: temperature must be finite and >= 0");
    if (c->beam < 1 || (size_t)c->beam > m->vae.max_B)
        return cv_error_set(err, CV_ERR_INVALID, "decode: beam must be in 1..%zu, got %d",
                            m->vae.max_B, c->beam);
    if (c->rescue < 1 || c->rescue > CV_MAX_RESCUE)
        return cv_error_set(err, CV_ERR_INVALID, "decode: rescue must be in 1..%d, got %d",
                            CV_MAX_RESCUE, c->rescue);
    size_t Z = (size_t)m->vae.cfg.Z;
    for (size_t i = 0; i < n * Z; i++)
        if (!isfinite(z[i]))
            return cv_error_set(err, CV_ERR_INVALID, "decode: z row %zu, column %zu is not finite",
                                i / Z, i % Z);
    return CV_OK;
}

CvStatus cv_decode(CvModel *m, const float *z, size_t n, const CvDecodeConfig *cfg, LatentMol *out,
                   CvError *err) {
    memset(out, 0, n * sizeof *out);
    CvStatus st = check_decode(m, z, n, cfg, err);
    if (st || !n) return st;
    CvRng rng;
    cv_rng_init(&rng, cfg->seed);
    /* cv_vae_decode seeds row b's stream with one draw per row, in order */
    if (cfg->temperature > 0)
        for (uint64_t r = 0; r < cfg->first_row; r++) (void)cv_rng_u64(&rng);
    LatentDecodeOpts o = {.attempts = 1,
                          .temperature = (float)cfg->temperature,
                          .retry_temperature = 0.0f,
                          .beam = cfg->beam,
                          .rescue = cfg->rescue};
    return cv_latent_decode(&m->vae, &m->vocab, z, n, &o, &rng, out, err);
}
