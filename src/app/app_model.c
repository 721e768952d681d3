/* app_model.c — loading a checkpoint as a CvModel, and what every inference job asks of
 * one (see app_model.h). */
#include "chemvae/app/app_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/fileio.h"
#include "chemvae/core/json.h"

/* The installed copy of model `name`: PREFIX/share/chemvae/models/ beside the running
 * PREFIX/bin/chemvae (found through /proc/self/exe, so an installed tree can be moved).
 * 0 and the path in buf, or -1 when there is no such file. */
static int installed_model(const char *name, char *buf, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0'; /* PREFIX/bin */
    int w = snprintf(buf, cap, "%s/../share/chemvae/models/%s", exe, name);
    return w > 0 && (size_t)w < cap && access(buf, R_OK) == 0 ? 0 : -1;
}

CvStatus cv_model_load(CvModel *m, const char *path, size_t max_B, CvError *err) {
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!strcmp(base, CV_SHIPPED_MODEL_NAME) && access(path, F_OK) != 0 &&
        installed_model(CV_SHIPPED_MODEL_NAME, m->path, sizeof m->path) == 0)
        path = m->path;
    CvStatus st = cv_ckpt_load(path, &m->vae, &m->meta, max_B, 0, NULL, err);
    if (st) return st;
    if ((st = cv_vocab_from_tokens(&m->vocab, (const char *const *)m->meta.vocab,
                                   (size_t)m->meta.n_vocab, err))) {
        cv_error_prefix(err, "%s", path);
        return st;
    }
    int mode = m->vae.cfg.T <= SMILES_MAX_ATOMS ? CV_DEFAULT_CONSTRAIN : SMILES_NONE;
    if ((st = cv_smiles_grammar_init(&m->grammar, (const char *const *)m->vocab.tokens,
                                     (int)m->vocab.n, err)) ||
        (st = cv_model_set_constrain(m, mode, err))) {
        cv_error_prefix(err, "%s", path);
        return st;
    }
    return cv_hash_file(path, m->hash, err);
}

#define F(field) offsetof(CvModelOptions, field)
static const CvParam MODEL_PARAMS[] = {
    CV_PARAM("model", 'm', CV_PARAM_STRING, F(path), "FILE",
             "checkpoint (default results/models/model.cvae if it\nexists, else the shipped "
             "results/models/zinc24k-small.cvae)",
             .flags = CV_PARAM_NOCONFIG),
    CV_PARAM("batch", 0, CV_PARAM_SIZE, F(batch), "B", "encoding / decoding batch (default 256)"),
    CV_PARAM("constrain", 0, CV_PARAM_CONSTRAIN, F(constrain), "MODE",
             "none | syntax | valence (default): mask tokens that cannot\ncomplete a molecule "
             "before each decoding step"),
};
#undef F
const CvParamTable cv_model_params = CV_PARAM_TABLE(MODEL_PARAMS);

CvStatus cv_model_load_with(CvModel *m, const CvModelOptions *o, CvError *err) {
    memset(m, 0, sizeof *m); /* safe to cv_model_free on every return */
    if (o->batch < 1 || o->batch > CV_MAX_BATCH)
        return cv_error_set(err, CV_ERR_INVALID, "batch must be in 1..%d, got %zu", CV_MAX_BATCH,
                            o->batch);
    CvStatus st = cv_model_load(m, o->path, o->batch, err);
    return st ? st : cv_model_set_constrain(m, o->constrain, err);
}

CvStatus cv_model_set_constrain(CvModel *m, int mode, CvError *err) {
    CvStatus st = cv_vae_set_constraint(&m->vae, &m->grammar, mode, err);
    if (!st) m->constrain = mode;
    return st;
}

void cv_model_free(CvModel *m) {
    cv_smiles_grammar_free(&m->grammar);
    cv_vae_free(&m->vae);
    cv_ckpt_meta_free(&m->meta);
    cv_vocab_free(&m->vocab);
}

CvStatus cv_model_encode_smiles(const CvModel *m, const char *smiles, int32_t *row, size_t *len,
                                CvError *err) {
    char *canon = cv_chem_canonical(smiles);
    if (!canon) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    CvStatus st = cv_vocab_encode(&m->vocab, canon, (size_t)m->vae.cfg.T, 0, row, len, err);
    free(canon);
    return st;
}

size_t cv_model_predicted_stride(const CvModel *m) {
    /* per property: ", " + the name escaped (at most 6 bytes a byte) in quotes + ": " + a
     * %.6g number (at most 13 bytes); then the objective, braces and the NUL */
    size_t n = 64;
    for (size_t p = 0; p < (size_t)m->vae.cfg.P; p++) n += 6 * strlen(m->meta.prop_names[p]) + 24;
    return n;
}

/* A value printed as %.6g, as the stored predictions always were (null if not finite). */
static void kv_g6(CvJson *j, const char *key, double y) {
    char num[32];
    snprintf(num, sizeof num, "%.6g", y);
    cv_json_key(j, key);
    if (isfinite(y)) cv_json_raw(j, num);
    else cv_json_null(j);
}

void cv_model_predicted_json(CvModel *m, const float *z, size_t N, const double *head, char *json) {
    Vae *v = &m->vae;
    size_t Z = (size_t)v->cfg.Z, P = (size_t)v->cfg.P, Bmax = v->max_B;
    size_t stride = cv_model_predicted_stride(m);
    CvJson j = {0};
    for (size_t s = 0; s < N; s += Bmax) {
        size_t B = N - s < Bmax ? N - s : Bmax;
        if (P) cv_vae_prop_forward(v, z + s * Z, B, NULL);
        for (size_t b = 0; b < B; b++) {
            cv_json_reset(&j);
            cv_json_begin_object(&j);
            for (size_t p = 0; p < P; p++)
                kv_g6(&j, m->meta.prop_names[p],
                      cv_ckpt_prop_denormalize(&m->meta, p, v->prop_act[v->cfg.n_prop][b * P + p]));
            if (head && isfinite(head[s + b])) kv_g6(&j, "objective", head[s + b]);
            cv_json_end_object(&j);
            const char *text = cv_json_text(&j, NULL);
            char *out = json + (s + b) * stride;
            /* the stride bounds every object this model can produce; out of memory: {} */
            snprintf(out, stride, "%s", text && strlen(text) < stride ? text : "{}");
        }
    }
    cv_json_free(&j);
}

/* ---- a CvModel behind a pointer ------------------------------------------------------------ */

CvModel *cv_model_open(const char *path, size_t max_B, CvError *err) {
    CvModel *m = malloc(sizeof *m);
    if (!m) {
        cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    if (cv_model_load(m, path, max_B, err)) {
        cv_model_close(m);
        return NULL;
    }
    return m;
}

void cv_model_close(CvModel *m) {
    if (!m) return;
    cv_model_free(m);
    free(m);
}

void cv_model_info(const CvModel *m, CvModelInfo *info) {
    *info = (CvModelInfo){.Z = (size_t)m->vae.cfg.Z,
                          .T = (size_t)m->vae.cfg.T,
                          .max_B = m->vae.max_B,
                          .constrain = m->constrain,
                          .path = m->path,
                          .hash = m->hash};
}
