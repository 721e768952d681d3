/* app_codec.c — encoding SMILES and decoding latent vectors as library calls (see
 * app_codec.h). cv_encode runs the encoder on one SMILES at a time: batched GEMMs round
 * differently from single-row ones (by a few units in the 7th digit), and a molecule's
 * vector should not depend on which other molecules were encoded with it. RDKit's
 * canonicalization costs more than the encoder anyway. A row that cannot be encoded carries
 * its message and NaN vectors, so one bad SMILES never costs the others. cv_decode is
 * cv_latent_decode with one attempt per vector, after checking what a caller of the library
 * may get wrong. The streamed forms queue their inputs and run the array calls on a full
 * queue (and on what is left at the end). */
#include "chemvae/app/app_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"

#define F(field) offsetof(CvDecodeConfig, field)
static const CvParam DECODE_PARAMS[] = {
    CV_PARAM("temperature", 0, CV_PARAM_TEMPERATURE, F(temperature), "X",
             "0 = greedy (default); > 0 samples softmax(logits / X)"),
    CV_PARAM("seed", 0, CV_PARAM_U64, F(seed), "N", "seed of temperature sampling (default 1)"),
    CV_PARAM("beam", 0, CV_PARAM_INT, F(beam), "K", "beam search of K hypotheses (greedy only)"),
    CV_PARAM("rescue", 0, CV_PARAM_RESCUE, F(rescue), "K",
             "a greedy decode that is not a molecule is decoded again by a\nbeam of K, kept "
             "when valid (default 1 = off)"),
};
#undef F
const CvParamTable cv_decode_params = CV_PARAM_TABLE(DECODE_PARAMS);

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

/* ---- streamed ---------------------------------------------------------------------------- */

/* SMILES waiting to be encoded, with their positions. */
typedef struct {
    CvModel *m;
    size_t cap, n, failed;
    char **smiles; /* (cap) owned copies */
    long *where;   /* (cap) */
    char **why;    /* (cap) owned: why a row cannot be encoded, known before encoding */
    float *mu;     /* (cap, Z) */
    CvEncodeRow *rows;
    CvEncodedFn row;
    void *user;
} EncodeQueue;

static CvStatus encode_queue_init(EncodeQueue *q, CvModel *m, size_t batch, CvEncodedFn row,
                                  void *user, CvError *err) {
    *q = (EncodeQueue){.m = m, .cap = batch, .row = row, .user = user};
    if (!batch) return cv_error_set(err, CV_ERR_INVALID, "encode: batch must be at least 1");
    q->smiles = calloc(batch, sizeof *q->smiles); /* calloc: batch * size cannot overflow */
    q->where = calloc(batch, sizeof *q->where);
    q->why = calloc(batch, sizeof *q->why);
    q->mu = calloc(batch, (size_t)m->vae.cfg.Z * sizeof *q->mu);
    q->rows = calloc(batch, sizeof *q->rows);
    if (q->smiles && q->where && q->why && q->mu && q->rows) return CV_OK;
    return cv_error_set(err, CV_ERR_NOMEM, "encode: out of memory");
}

static void encode_queue_clear(EncodeQueue *q) {
    cv_encode_rows_free(q->rows, q->n);
    for (size_t i = 0; i < q->n; i++) {
        free(q->smiles[i]);
        free(q->why[i]);
        q->why[i] = NULL;
    }
    q->n = 0;
}

/* Encodes the queued SMILES, hands them over, empties the queue. */
static CvStatus encode_queue_flush(EncodeQueue *q, CvError *err) {
    size_t failed = 0, Z = (size_t)q->m->vae.cfg.Z;
    CvStatus st =
        cv_encode(q->m, (const char *const *)q->smiles, q->n, q->mu, NULL, q->rows, &failed, err);
    for (size_t i = 0; !st && i < q->n; i++) {
        if (q->why[i]) { /* its SMILES is "": not encoded, for the reason known before */
            free(q->rows[i].error);
            q->rows[i].error = q->why[i];
            q->why[i] = NULL;
        }
        const char *why = q->rows[i].error;
        q->row(q->user,
               &(CvEncodedSmiles){q->smiles[i], q->where[i], why ? NULL : q->mu + i * Z, Z, why});
    }
    q->failed += failed;
    encode_queue_clear(q);
    return st;
}

/* Queues a copy of smiles, or a row that cannot be encoded for the reason `why` (owned,
 * NULL-able). */
static CvStatus encode_queue_push_why(EncodeQueue *q, const char *smiles, long where, char *why,
                                      CvError *err) {
    q->smiles[q->n] = strdup(why ? "" : smiles);
    q->why[q->n] = why;
    if (!q->smiles[q->n]) {
        free(why);
        q->why[q->n] = NULL;
        return cv_error_set(err, CV_ERR_NOMEM, "encode: out of memory");
    }
    q->where[q->n++] = where;
    return q->n == q->cap ? encode_queue_flush(q, err) : CV_OK;
}

static CvStatus encode_queue_push(EncodeQueue *q, const char *smiles, long where, CvError *err) {
    return encode_queue_push_why(q, smiles, where, NULL, err);
}

/* Flushes what is left (unless st is an error), frees the queue, returns st. */
static CvStatus encode_queue_end(EncodeQueue *q, CvStatus st, size_t *n_failed, CvError *err) {
    if (!st && q->n) st = encode_queue_flush(q, err);
    if (q->smiles) encode_queue_clear(q);
    free(q->smiles);
    free(q->where);
    free(q->why);
    free(q->mu);
    free(q->rows);
    if (n_failed) *n_failed = q->failed;
    return st;
}

CvStatus cv_encode_list(CvModel *m, const char *const *smiles, size_t n, size_t batch,
                        CvEncodedFn row, void *user, size_t *n_failed, CvError *err) {
    EncodeQueue q;
    CvStatus st = encode_queue_init(&q, m, batch, row, user, err);
    for (size_t i = 0; !st && i < n; i++)
        st = smiles[i] ? encode_queue_push(&q, smiles[i], (long)i + 1, err)
                       : cv_error_set(err, CV_ERR_INVALID, "encode: SMILES %zu is NULL", i);
    return encode_queue_end(&q, st, n_failed, err);
}

CvStatus cv_encode_lines(CvModel *m, CvLines *in, size_t batch, CvEncodedFn row, void *user,
                         size_t *n_failed, CvError *err) {
    EncodeQueue q;
    CvStatus st = encode_queue_init(&q, m, batch, row, user, err);
    long got;
    while (!st && (got = cv_lines_next(in)) > 0) {
        char *line = in->line;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r' || line[got - 1] == ' '))
            line[--got] = 0;
        if (got) st = encode_queue_push(&q, line, in->lineno, err);
    }
    return encode_queue_end(&q, st, n_failed, err);
}

/* A record of a SMILES file or SDF being queued. */
typedef struct {
    EncodeQueue *q;
    CvError *err;
    CvStatus st;
} RecordQueue;

/* Queues a record's canonical SMILES, or why it has none. */
static int encode_record(const MolinRecord *rec, void *user) {
    RecordQueue *rq = user;
    ChemMol *mol = rec->error ? NULL : cv_chem_mol_from_text(rec->mol, rec->molblock);
    char *canon = mol ? cv_chem_mol_canonical(mol) : NULL, *why = NULL;
    cv_chem_mol_free(mol);
    if (!canon) {
        const char *reason = rec->error ? rec->error : "RDKit cannot read the molecule";
        size_t n = strlen(rec->name) + strlen(reason) + 64;
        if ((why = malloc(n)))
            snprintf(why, n, "record %zu%s%s%s: %s", rec->number, rec->name[0] ? " (" : "",
                     rec->name, rec->name[0] ? ")" : "", reason);
    }
    rq->st = canon || why ? encode_queue_push_why(rq->q, canon, (long)rec->line, why, rq->err)
                          : cv_error_set(rq->err, CV_ERR_NOMEM, "encode: out of memory");
    free(canon);
    return rq->st != CV_OK;
}

CvStatus cv_encode_records(CvModel *m, const char *path, MolinFormat format, size_t batch,
                           CvEncodedFn row, void *user, size_t *n_failed, CvError *err) {
    EncodeQueue q;
    RecordQueue rq = {&q, err, CV_OK};
    MolinOptions o = {format, 0};
    CvStatus st = encode_queue_init(&q, m, batch, row, user, err);
    if (!st) st = cv_molin_read_file(path ? path : "-", &o, encode_record, &rq, err);
    if (rq.st) st = rq.st;
    return encode_queue_end(&q, st, n_failed, err);
}

/* Blank lines and header lines ("smiles,...", "z0,...") carry no vector. */
static int is_header_or_blank(const char *line) {
    return line[0] == '\n' || line[0] == '\r' || !strncmp(line, "smiles", 6) || line[0] == 'z';
}

/* Decodes the n queued vectors (z, lines) as rows cfg->first_row.., hands them over and
 * moves cfg->first_row past them. */
static CvStatus decode_flush(CvModel *m, CvDecodeConfig *cfg, const float *z, const long *lines,
                             size_t n, LatentMol *out, CvDecodedFn row, void *user, CvError *err) {
    CvStatus st = cv_decode(m, z, n, cfg, out, err);
    for (size_t i = 0; !st && i < n; i++)
        row(user, &(CvDecodedLine){lines[i], cfg->first_row + i, &out[i]});
    if (!st) cv_latent_mols_free(out, n);
    cfg->first_row += n;
    return st;
}

CvStatus cv_decode_lines(CvModel *m, CvLines *in, const CvDecodeConfig *cfg, size_t batch,
                         CvDecodedFn row, void *user, size_t *n_bad, CvError *err) {
    size_t Z = (size_t)m->vae.cfg.Z, n = 0, bad = 0;
    CvDecodeConfig c = *cfg;
    if (!batch) return cv_error_set(err, CV_ERR_INVALID, "decode: batch must be at least 1");
    CvStatus st = check_decode(m, NULL, 0, &c, err);
    float *z = st ? NULL : calloc(batch, Z * sizeof *z); /* calloc: no overflow */
    long *lines = st ? NULL : calloc(batch, sizeof *lines);
    LatentMol *out = st ? NULL : calloc(batch, sizeof *out);
    if (!st && (!z || !lines || !out))
        st = cv_error_set(err, CV_ERR_NOMEM, "decode: out of memory");
    while (!st && cv_lines_next(in) > 0) {
        if (is_header_or_blank(in->line)) continue;
        if (cv_latent_parse_z(in->line, z + n * Z, Z)) {
            bad++;
            row(user, &(CvDecodedLine){in->lineno, 0, NULL});
            continue;
        }
        lines[n] = in->lineno;
        if (++n == batch) {
            st = decode_flush(m, &c, z, lines, n, out, row, user, err);
            n = 0;
        }
    }
    if (!st && n) st = decode_flush(m, &c, z, lines, n, out, row, user, err);
    free(z);
    free(lines);
    free(out);
    if (n_bad) *n_bad = bad;
    return st;
}
