/* checkpoint.c — .cvae files (format in include/chemvae/model/checkpoint.h).
 *
 * The whole file is built in memory first (parameters of the paper model are ~20 MB),
 * its CRC computed, then written through cv_atomic_* (temp + fsync + rename), so a crash
 * or a full disk never leaves a half checkpoint where the last good one was. Loading
 * reads the whole file, checks magic, version, length and CRC before trusting any field,
 * then parses the text metadata and checks every size against the config it describes. */
#include "chemvae/model/checkpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"
#include "chemvae/core/version.h"

static const char MAGIC[8] = {'C', 'V', 'A', 'E', 'C', 'K', 'P', 'T'};

void cv_ckpt_meta_free(CkptMeta *m) {
    if (!m) return;
    for (int i = 0; i < m->n_vocab; i++) free(m->vocab[i]);
    free(m->vocab);
    m->vocab = NULL;
    m->n_vocab = 0;
}

double cv_ckpt_prop_denormalize(const CkptMeta *m, size_t p, float y) {
    return m->prop_mean[p] + m->prop_std[p] * (double)y;
}

CvStatus cv_ckpt_meta_set_vocab(CkptMeta *m, const char *const *tokens, int n, CvError *err) {
    cv_ckpt_meta_free(m);
    m->vocab = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (!m->vocab) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        m->vocab[i] = strdup(tokens[i]);
        if (!m->vocab[i]) {
            m->n_vocab = i;
            return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
        }
    }
    m->n_vocab = n;
    return CV_OK;
}

CvStatus cv_ckpt_meta_check_vocab(const CkptMeta *m, const CvVocab *vocab, const char *ckpt_path,
                                  const char *source, CvError *err) {
    size_t n = (size_t)m->n_vocab > vocab->n ? (size_t)m->n_vocab : vocab->n;
    for (size_t i = 0; i < n; i++) {
        const char *a = i < (size_t)m->n_vocab ? m->vocab[i] : "(none)";
        const char *b = i < vocab->n ? vocab->tokens[i] : "(none)";
        if (strcmp(a, b) != 0)
            return cv_error_set(err, CV_ERR_MISMATCH,
                                "vocabulary mismatch: %s has token id %zu = '%s' but %s has '%s' "
                                "(%d vs %zu tokens); use the vocabulary the model was trained with",
                                ckpt_path, i, a, source, b, m->n_vocab, vocab->n);
    }
    return CV_OK;
}

/* ---- metadata text ---------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} Text;

static void text_put(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_put(Text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t nc = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *nb = realloc(t->buf, nc);
        if (!nb) {
            t->oom = 1;
            return;
        }
        t->buf = nb;
        t->cap = nc;
    }
}

static void put_list(Text *t, const char *key, const int *a, int n) {
    text_put(t, "%s", key);
    for (int i = 0; i < n; i++) text_put(t, " %d", a[i]);
    text_put(t, "\n");
}

static void meta_write(Text *t, const CkptMeta *m) {
    const VaeConfig *c = &m->cfg;
    text_put(t, "T %d\nV %d\nP %d\nenc_dense %d\nZ %d\ndec_dense %d\ngru_layers %d\nH %d\n", c->T,
             c->V, c->P, c->enc_dense, c->Z, c->dec_dense, c->gru_layers, c->H);
    put_list(t, "conv_ch", c->conv_ch, c->n_conv);
    put_list(t, "conv_k", c->conv_k, c->n_conv);
    put_list(t, "prop_hidden", c->prop_hidden, c->n_prop);
    if (c->dec_z_all) text_put(t, "dec_z_all %d\n", c->dec_z_all);
    text_put(t, "epoch %ld\nstep %ld\nseed %llu\nbest_val %.17g\nbest_exact %.17g\n", m->epoch,
             m->step, (unsigned long long)m->seed, m->best_val, m->best_exact);
    text_put(t, "lr_scale %.17g\nplateau_best %.17g\nplateau_wait %ld\n", m->lr_scale,
             m->plateau_best, m->plateau_wait);
    if (m->dataset_hash[0]) text_put(t, "dataset_hash %s\n", m->dataset_hash);
    text_put(t, "written_by chemvae %s %s\n", cv_version(), cv_git_commit());
    if (m->train_options[0]) text_put(t, "train_options %s\n", m->train_options);
    for (int i = 0; i < m->P; i++)
        text_put(t, "prop %s %.17g %.17g\n", m->prop_names[i], m->prop_mean[i], m->prop_std[i]);
    for (int i = 0; i < m->n_vocab; i++) text_put(t, "vocab %s\n", m->vocab[i]);
}

static int parse_list(const char *val, int *a, int max) {
    int n = 0;
    const char *p = val;
    while (*p && n <= max) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p) break;
        if (n < max) a[n] = (int)x;
        n++;
        p = end;
    }
    return n;
}

static CvStatus meta_parse(const char *path, char *text, CkptMeta *m, CvError *err) {
    memset(m, 0, sizeof *m);
    VaeConfig *c = &m->cfg;
    int cap_vocab = 0, nprop = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = '\0';
        const char *key = line, *val = sp + 1;
        if (!strcmp(key, "T")) c->T = atoi(val);
        else if (!strcmp(key, "V")) c->V = atoi(val);
        else if (!strcmp(key, "P")) c->P = atoi(val);
        else if (!strcmp(key, "enc_dense")) c->enc_dense = atoi(val);
        else if (!strcmp(key, "Z")) c->Z = atoi(val);
        else if (!strcmp(key, "dec_dense")) c->dec_dense = atoi(val);
        else if (!strcmp(key, "gru_layers")) c->gru_layers = atoi(val);
        else if (!strcmp(key, "H")) c->H = atoi(val);
        else if (!strcmp(key, "conv_ch")) c->n_conv = parse_list(val, c->conv_ch, VAE_MAX_CONV);
        else if (!strcmp(key, "conv_k")) parse_list(val, c->conv_k, VAE_MAX_CONV);
        else if (!strcmp(key, "prop_hidden"))
            c->n_prop = parse_list(val, c->prop_hidden, VAE_MAX_PROP);
        else if (!strcmp(key, "dec_z_all")) c->dec_z_all = atoi(val) != 0;
        else if (!strcmp(key, "epoch")) m->epoch = atol(val);
        else if (!strcmp(key, "step")) m->step = atol(val);
        else if (!strcmp(key, "seed")) m->seed = strtoull(val, NULL, 10);
        else if (!strcmp(key, "best_val")) m->best_val = strtod(val, NULL);
        else if (!strcmp(key, "best_exact")) m->best_exact = strtod(val, NULL);
        else if (!strcmp(key, "lr_scale")) m->lr_scale = strtod(val, NULL);
        else if (!strcmp(key, "plateau_best")) m->plateau_best = strtod(val, NULL);
        else if (!strcmp(key, "plateau_wait")) m->plateau_wait = atol(val);
        else if (!strcmp(key, "dataset_hash"))
            snprintf(m->dataset_hash, sizeof m->dataset_hash, "%s", val);
        else if (!strcmp(key, "written_by"))
            snprintf(m->written_by, sizeof m->written_by, "%s", val);
        else if (!strcmp(key, "train_options"))
            snprintf(m->train_options, sizeof m->train_options, "%s", val);
        else if (!strcmp(key, "prop")) {
            if (nprop >= CKPT_MAX_PROPS) continue;
            char name[CKPT_NAME_MAX];
            double mean, sd;
            if (sscanf(val, "%31s %lf %lf", name, &mean, &sd) != 3)
                return cv_error_set(err, CV_ERR_FORMAT, "%s: bad property line 'prop %s'", path,
                                    val);
            snprintf(m->prop_names[nprop], CKPT_NAME_MAX, "%s", name);
            m->prop_mean[nprop] = mean;
            m->prop_std[nprop] = sd;
            nprop++;
        } else if (!strcmp(key, "vocab")) {
            if (m->n_vocab == cap_vocab) {
                cap_vocab = cap_vocab ? cap_vocab * 2 : 64;
                char **nv = realloc(m->vocab, (size_t)cap_vocab * sizeof(char *));
                if (!nv) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
                m->vocab = nv;
            }
            m->vocab[m->n_vocab] = strdup(val);
            if (!m->vocab[m->n_vocab]) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
            m->n_vocab++;
        }
    }
    m->P = nprop;
    if (c->P != nprop)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: config says %d properties but %d are described", path, c->P,
                            nprop);
    if (m->n_vocab != c->V)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: config says V=%d but the vocabulary has %d tokens", path, c->V,
                            m->n_vocab);
    CvStatus st = cv_vae_config_validate(c, err);
    if (st) cv_error_prefix(err, "%s", path);
    return st;
}

/* ---- save --------------------------------------------------------------------------- */

CvStatus cv_ckpt_save(const char *path, const Vae *vae, const CkptMeta *meta, int with_optimizer,
                      CvError *err) {
    Text t = {0};
    meta_write(&t, meta);
    if (t.oom) {
        free(t.buf);
        return cv_error_set(err, CV_ERR_NOMEM, "out of memory writing %s", path);
    }
    uint32_t version = CKPT_VERSION, flags = with_optimizer ? 1u : 0u, mlen = (uint32_t)t.len;
    uint64_t np = vae->params.total, ns = vae->stats.total;
    CvAtomicFile af;
    CvStatus st = cv_mkdir_parents(path, err);
    if (st) goto done;
    if ((st = cv_atomic_open(&af, path, err))) goto done;
    uint32_t crc = 0;
    struct {
        const void *p;
        size_t n;
    } parts[] = {{MAGIC, 8},
                 {&version, 4},
                 {&flags, 4},
                 {&mlen, 4},
                 {t.buf, t.len},
                 {&np, 8},
                 {&ns, 8},
                 {vae->params.data, np * sizeof(float)},
                 {vae->stats.data, ns * sizeof(float)},
                 {with_optimizer ? vae->params.m : NULL, with_optimizer ? np * sizeof(float) : 0},
                 {with_optimizer ? vae->params.v : NULL, with_optimizer ? np * sizeof(float) : 0}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i].n) continue;
        crc = cv_crc32(crc, parts[i].p, parts[i].n);
        if ((st = cv_atomic_write(&af, parts[i].p, parts[i].n, err))) {
            cv_atomic_abort(&af);
            goto done;
        }
    }
    if ((st = cv_atomic_write(&af, &crc, 4, err))) {
        cv_atomic_abort(&af);
        goto done;
    }
    st = cv_atomic_commit(&af, err);
done:
    free(t.buf);
    return st;
}

/* ---- load --------------------------------------------------------------------------- */

typedef struct {
    const char *path;
    const unsigned char *data;
    size_t len, pos;
} Reader;

static int take(Reader *r, void *out, size_t n) {
    if (r->len - r->pos < n) return 0;
    if (out) memcpy(out, r->data + r->pos, n);
    r->pos += n;
    return 1;
}

/* Reads the file, verifies magic/version/CRC, parses meta; leaves r->pos at n_params. */
static CvStatus open_checked(const char *path, char **buf, Reader *r, CkptMeta *meta,
                             uint32_t *flags, CvError *err) {
    size_t len;
    CvStatus st = cv_read_file(path, buf, &len, err);
    if (st) return st;
    *r = (Reader){path, (const unsigned char *)*buf, len, 0};
    char magic[8];
    uint32_t version, mlen;
    if (!take(r, magic, 8) || memcmp(magic, MAGIC, 8) != 0)
        return cv_error_set(err, CV_ERR_FORMAT, "%s: not a chemvae checkpoint (bad magic)", path);
    if (!take(r, &version, 4) || !take(r, flags, 4) || !take(r, &mlen, 4))
        return cv_error_set(err, CV_ERR_FORMAT, "%s: truncated checkpoint header (%zu bytes)", path,
                            len);
    if (version > CKPT_VERSION)
        return cv_error_set(
            err, CV_ERR_FORMAT,
            "%s: checkpoint format %u is newer than this chemvae supports (%d); upgrade chemvae",
            path, version, CKPT_VERSION);
    if (version == 0) return cv_error_set(err, CV_ERR_FORMAT, "%s: bad checkpoint version 0", path);
    if (len < 4) return cv_error_set(err, CV_ERR_FORMAT, "%s: truncated checkpoint", path);
    uint32_t stored;
    memcpy(&stored, r->data + len - 4, 4);
    if (r->len - r->pos < (size_t)mlen + 16 + 4)
        return cv_error_set(err, CV_ERR_FORMAT, "%s: truncated checkpoint (%zu bytes)", path, len);
    char *text = malloc((size_t)mlen + 1);
    if (!text) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    take(r, text, mlen);
    text[mlen] = '\0';
    st = meta_parse(path, text, meta, err);
    free(text);
    if (st) return st;
    uint64_t np = 0, ns = 0;
    size_t body = r->pos;
    take(r, &np, 8);
    take(r, &ns, 8);
    size_t nfloat = (size_t)np + (size_t)ns + ((*flags & 1u) ? 2 * (size_t)np : 0);
    size_t expect = body + 16 + nfloat * sizeof(float) + 4;
    if (np > len || ns > len || len != expect)
        return cv_error_set(err, CV_ERR_FORMAT,
                            "%s: %s checkpoint: %zu bytes, its header describes %zu", path,
                            len < expect ? "truncated" : "oversized", len, expect);
    /* the sizes in the text must fit the parameters the file holds (checked before the
     * model is allocated: a header claiming a huge model costs nothing) */
    if ((double)np < cv_vae_config_param_count(&meta->cfg))
        return cv_error_set(
            err, CV_ERR_FORMAT,
            "%s: its header describes a model of %.0f parameters, the file holds %llu", path,
            cv_vae_config_param_count(&meta->cfg), (unsigned long long)np);
    if (cv_crc32(0, r->data, len - 4) != stored)
        return cv_error_set(err, CV_ERR_FORMAT, "%s: checkpoint is corrupted (CRC mismatch)", path);
    r->pos = body;
    return CV_OK;
}

CvStatus cv_ckpt_read_meta(const char *path, CkptMeta *meta, CvError *err) {
    char *buf = NULL;
    Reader r;
    uint32_t flags;
    memset(meta, 0, sizeof *meta);
    CvStatus st = open_checked(path, &buf, &r, meta, &flags, err);
    free(buf);
    if (st) cv_ckpt_meta_free(meta); /* a header read before a later check failed */
    return st;
}

CvStatus cv_ckpt_load(const char *path, Vae *vae, CkptMeta *meta, size_t max_B, int load_optimizer,
                      int *has_optimizer, CvError *err) {
    char *buf = NULL;
    Reader r;
    uint32_t flags = 0;
    memset(vae, 0, sizeof *vae);
    memset(meta, 0, sizeof *meta);
    CvStatus st = open_checked(path, &buf, &r, meta, &flags, err);
    if (st) goto done;
    CvRng rng;
    cv_rng_init(&rng, 0);
    st = load_optimizer ? cv_vae_init(vae, &meta->cfg, max_B, &rng, err)
                        : cv_vae_init_inference(vae, &meta->cfg, max_B, &rng, err);
    if (st) goto done;
    uint64_t np = 0, ns = 0;
    take(&r, &np, 8);
    take(&r, &ns, 8);
    if (np != vae->params.total || ns != vae->stats.total) {
        st = cv_error_set(
            err, CV_ERR_MISMATCH,
            "%s: holds %llu parameters and %llu statistics, its config needs %zu and %zu", path,
            (unsigned long long)np, (unsigned long long)ns, vae->params.total, vae->stats.total);
        goto done;
    }
    take(&r, vae->params.data, np * sizeof(float));
    take(&r, vae->stats.data, ns * sizeof(float));
    int opt = (flags & 1u) && load_optimizer;
    if (opt) {
        take(&r, vae->params.m, np * sizeof(float));
        take(&r, vae->params.v, np * sizeof(float));
    }
    if (has_optimizer) *has_optimizer = opt;
done:
    free(buf);
    if (st) {
        cv_vae_free(vae);
        cv_ckpt_meta_free(meta);
    }
    return st;
}
