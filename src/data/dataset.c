/* dataset.c — the .cvds dataset: build from SMILES + properties, save, load, batch helpers
 * (see include/chemvae/data/dataset.h for the contents and the file layout).
 *
 * One representation for both directions: cv_dataset_build lays the arrays out in a single
 * buffer exactly as they sit in the file (header, sections padded to 8 bytes, checksum at
 * the end), and both build and load finish in index_blob(), which validates the image and
 * points the CvDataset fields into it. So save is one write, load is one read plus
 * validation, and a built dataset and a loaded one cannot drift apart. The one-hot tensor
 * (N, T, V) would be V times the size of the ids (about 1 GB for ZINC-250k at V = 35), so
 * it is only ever produced per batch.
 *
 * Why not mmap: reading 30-50 MB takes a few tens of milliseconds, the checksum has to
 * touch every byte anyway, and a private buffer keeps the dataset valid if the file is
 * replaced while training runs. The checksum is FNV-1a 64 (cv_fnv1a64), not CRC-32:
 * core's bitwise cv_crc32 needs ~0.9 s for the 32 MB of a 176k-molecule dataset, FNV-1a
 * ~0.1 s, and both catch the flipped bytes and truncations the tests make. */
#include "chemvae/data/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/fileio.h"
#include "chemvae/core/rng.h"
#include "chemvae/data/tokenizer.h"

static const char MAGIC[8] = {'C', 'V', 'D', 'S', 'E', 'T', 0, 0};

typedef struct {
    char magic[8];
    uint64_t version, n, T, V, P, id_bytes;
    uint64_t count[CV_NSPLITS];
    uint64_t seed;
    double ratios[CV_NSPLITS];
    uint64_t vocab_hash, unk_rows;
    uint64_t vocab_bytes, names_bytes, smiles_bytes; /* NUL-separated string sections */
    uint64_t reserved[5];
} DsHeader;
_Static_assert(sizeof(DsHeader) == 192, "DsHeader layout");

/* Byte offsets of every section in the file image. */
typedef struct {
    size_t vocab, names, mean, std, ids, lengths, props, split, smiles_off, smiles, sum, total;
} DsLayout;

static size_t pad8(size_t x) {
    return (x + 7) & ~(size_t)7;
}

/* Computes the layout; returns 0 when the sizes overflow size_t (a corrupt header). */
static int layout_of(const DsHeader *h, DsLayout *L) {
    uint64_t n = h->n, T = h->T, P = h->P;
    if (n > ((uint64_t)1 << 40) || T > 65535 || P > 4096 || h->vocab_bytes > ((uint64_t)1 << 32) ||
        h->names_bytes > ((uint64_t)1 << 32) || h->smiles_bytes > ((uint64_t)1 << 44) ||
        (h->id_bytes != 1 && h->id_bytes != 2))
        return 0;
    size_t o = sizeof(DsHeader);
    L->vocab = o;
    o += pad8(h->vocab_bytes);
    L->names = o;
    o += pad8(h->names_bytes);
    L->mean = o;
    o += pad8(P * sizeof(float));
    L->std = o;
    o += pad8(P * sizeof(float));
    L->ids = o;
    o += pad8(n * T * h->id_bytes);
    L->lengths = o;
    o += pad8(n * sizeof(uint32_t));
    L->props = o;
    o += pad8(n * P * sizeof(float));
    L->split = o;
    o += pad8(n);
    L->smiles_off = o;
    o += (n + 1) * sizeof(uint64_t);
    L->smiles = o;
    o += pad8(h->smiles_bytes);
    L->sum = o;
    o += 8;
    L->total = o;
    return 1;
}

void cv_dataset_options_default(CvDatasetOptions *o) {
    memset(o, 0, sizeof *o);
    o->T = DATASET_DEFAULT_T;
    o->ratios[CV_SPLIT_TRAIN] = 0.8;
    o->ratios[CV_SPLIT_VALID] = 0.1;
    o->ratios[CV_SPLIT_TEST] = 0.1;
    o->seed = 42;
}

void cv_dataset_free(CvDataset *ds) {
    if (!ds) return;
    cv_vocab_free(&ds->vocab);
    free(ds->prop_names);
    free(ds->blob);
    memset(ds, 0, sizeof *ds);
}

/* Splits a NUL-separated section of `bytes` bytes into exactly `count` strings. */
static int split_strings(const char *sec, size_t bytes, size_t count, const char **out) {
    size_t k = 0, start = 0;
    for (size_t i = 0; i < bytes; i++) {
        if (sec[i] != '\0') continue;
        if (k == count) return 0;
        out[k++] = sec + start;
        start = i + 1;
    }
    return k == count && start == bytes;
}

/* Validates the image blob[0..size) and points ds into it. Takes ownership of blob (also
 * on failure). `name` is the file name for messages. */
static CvStatus index_blob(CvDataset *ds, void *blob, size_t size, const char *name, CvError *err) {
    const char **vtoks = NULL;
    CvStatus st;
    memset(ds, 0, sizeof *ds);
    ds->blob = blob;
    ds->blob_size = size;
    unsigned char *b = blob;
    DsHeader h;
    DsLayout L;
    if (size < sizeof h || memcmp(b, MAGIC, sizeof MAGIC) != 0) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: not a chemvae dataset (bad magic)", name);
        goto fail;
    }
    memcpy(&h, b, sizeof h);
    if (h.version != DATASET_VERSION) {
        st =
            cv_error_set(err, CV_ERR_FORMAT, "%s: dataset format version %llu, this build reads %d",
                         name, (unsigned long long)h.version, DATASET_VERSION);
        goto fail;
    }
    if (!layout_of(&h, &L) || h.V < VOCAB_NSPECIAL || h.V > VOCAB_MAX_SIZE || h.T < 1 ||
        (h.V > 256 && h.id_bytes != 2) || h.count[0] + h.count[1] + h.count[2] != h.n) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: corrupt dataset header", name);
        goto fail;
    }
    if (L.total != size) {
        st = cv_error_set(err, CV_ERR_FORMAT,
                          "%s: %zu bytes, header says %zu (truncated or corrupt)", name, size,
                          L.total);
        goto fail;
    }
    uint64_t sum_stored;
    memcpy(&sum_stored, b + L.sum, sizeof sum_stored);
    if (cv_fnv1a64(CV_FNV64_INIT, b, L.sum) != sum_stored) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: checksum mismatch (corrupt file)", name);
        goto fail;
    }
    ds->n = h.n;
    ds->T = h.T;
    ds->V = h.V;
    ds->P = h.P;
    ds->id_bytes = h.id_bytes;
    for (int s = 0; s < CV_NSPLITS; s++) {
        ds->count[s] = h.count[s];
        ds->ratios[s] = h.ratios[s];
    }
    ds->seed = h.seed;
    ds->unk_rows = h.unk_rows;
    ds->vocab_hash = h.vocab_hash;
    ds->prop_mean = (const float *)(b + L.mean);
    ds->prop_std = (const float *)(b + L.std);
    ds->ids = b + L.ids;
    ds->lengths = (const uint32_t *)(b + L.lengths);
    ds->props = (const float *)(b + L.props);
    ds->split = b + L.split;
    ds->smiles_off = (const uint64_t *)(b + L.smiles_off);
    ds->smiles = (const char *)(b + L.smiles);

    vtoks = malloc(h.V * sizeof *vtoks);
    ds->prop_names = malloc((h.P ? h.P : 1) * sizeof *ds->prop_names);
    if (!vtoks || !ds->prop_names) {
        st = cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", name);
        goto fail;
    }
    if (!split_strings((const char *)b + L.vocab, h.vocab_bytes, h.V, vtoks) ||
        !split_strings((const char *)b + L.names, h.names_bytes, h.P, ds->prop_names)) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: corrupt vocabulary or property names", name);
        goto fail;
    }
    if ((st = cv_vocab_from_tokens(&ds->vocab, vtoks, h.V, err))) {
        cv_error_prefix(err, "%s", name);
        goto fail;
    }
    if (cv_vocab_hash(&ds->vocab) != h.vocab_hash) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: vocabulary hash mismatch", name);
        goto fail;
    }
    /* Bounds checks that make every accessor safe even on a crafted file. */
    size_t counts[CV_NSPLITS] = {0};
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->split[i] >= CV_NSPLITS || ds->lengths[i] < 1 || ds->lengths[i] > ds->T ||
            ds->smiles_off[i] > ds->smiles_off[i + 1] || ds->smiles_off[i + 1] > h.smiles_bytes ||
            ds->smiles_off[i + 1] == 0 || ds->smiles[ds->smiles_off[i + 1] - 1] != '\0') {
            st = cv_error_set(err, CV_ERR_FORMAT, "%s: corrupt row %zu", name, i);
            goto fail;
        }
        counts[ds->split[i]]++;
    }
    size_t nid = ds->n * ds->T, bad = 0;
    if (ds->id_bytes == 1) {
        const uint8_t *ids = ds->ids;
        for (size_t k = 0; k < nid; k++) bad |= ids[k] >= ds->V;
    } else {
        const uint16_t *ids = ds->ids;
        for (size_t k = 0; k < nid; k++) bad |= ids[k] >= ds->V;
    }
    if (bad || counts[0] != h.count[0] || counts[1] != h.count[1] || counts[2] != h.count[2]) {
        st = cv_error_set(err, CV_ERR_FORMAT, "%s: token id or split count out of range", name);
        goto fail;
    }
    free(vtoks);
    return CV_OK;
fail:
    free(vtoks);
    cv_dataset_free(ds);
    return st;
}

/* Assigns split labels from a seeded shuffle (see dataset.h). */
static void assign_split(uint8_t *split, size_t n, const double *ratios, uint64_t seed,
                         uint32_t *perm, size_t *count) {
    double sum = ratios[0] + ratios[1] + ratios[2];
    size_t ntrain = (size_t)llround(ratios[0] / sum * (double)n);
    size_t nvalid = (size_t)llround(ratios[1] / sum * (double)n);
    if (ntrain > n) ntrain = n;
    if (nvalid > n - ntrain) nvalid = n - ntrain;
    CvRng rng;
    cv_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    cv_rng_shuffle_u32(&rng, perm, n);
    for (size_t k = 0; k < n; k++)
        split[perm[k]] = k < ntrain            ? CV_SPLIT_TRAIN
                         : k < ntrain + nvalid ? CV_SPLIT_VALID
                                               : CV_SPLIT_TEST;
    count[0] = ntrain;
    count[1] = nvalid;
    count[2] = n - ntrain - nvalid;
}

CvStatus cv_dataset_build(CvDataset *ds, const char *const *smiles, size_t n, const float *props,
                          size_t P, const char *const *prop_names, const CvVocab *vocab,
                          const CvDatasetOptions *opt, CvError *err) {
    CvDatasetOptions defaults;
    uint8_t *split = NULL;
    uint32_t *perm = NULL;
    int32_t *row = NULL;
    const char **train = NULL;
    unsigned char *blob = NULL;
    CvVocab voc = {0};
    CvStatus st;
    memset(ds, 0, sizeof *ds);
    if (!opt) {
        cv_dataset_options_default(&defaults);
        opt = &defaults;
    }
    if (n == 0) return cv_error_set(err, CV_ERR_EMPTY, "dataset: no molecules");
    if (n > UINT32_MAX) return cv_error_set(err, CV_ERR_INVALID, "dataset: too many rows (%zu)", n);
    if (opt->T < 2 || opt->T > 65535)
        return cv_error_set(err, CV_ERR_INVALID, "dataset: max length %zu out of range 2..65535",
                            opt->T);
    double rsum = 0;
    for (int s = 0; s < CV_NSPLITS; s++) {
        if (!(opt->ratios[s] >= 0) || !isfinite(opt->ratios[s]))
            return cv_error_set(err, CV_ERR_INVALID, "dataset: split ratio %g is not >= 0",
                                opt->ratios[s]);
        rsum += opt->ratios[s];
    }
    if (!(rsum > 0)) return cv_error_set(err, CV_ERR_INVALID, "dataset: split ratios sum to 0");
    if (P > 4096) return cv_error_set(err, CV_ERR_INVALID, "dataset: too many properties");

    DsHeader h;
    memset(&h, 0, sizeof h);
    split = malloc(n);
    perm = malloc(n * sizeof *perm);
    row = malloc(opt->T * sizeof *row);
    train = malloc(n * sizeof *train);
    if (!split || !perm || !row || !train) goto nomem;
    double ratios[CV_NSPLITS];
    if (opt->split) {
        for (size_t i = 0; i < n; i++) {
            if (opt->split[i] >= CV_NSPLITS) {
                st = cv_error_set(err, CV_ERR_INVALID, "dataset: split label %u of row %zu",
                                  opt->split[i], i + 1);
                goto fail;
            }
            split[i] = opt->split[i];
            h.count[split[i]]++;
        }
        for (int s = 0; s < CV_NSPLITS; s++) ratios[s] = (double)h.count[s] / (double)n;
    } else {
        size_t nsh = opt->n_shuffled && opt->n_shuffled < n ? opt->n_shuffled : n;
        assign_split(split, nsh, opt->ratios, opt->seed, perm, h.count);
        memset(split + nsh, CV_SPLIT_TRAIN, n - nsh);
        h.count[CV_SPLIT_TRAIN] += n - nsh;
        for (int s = 0; s < CV_NSPLITS; s++)
            ratios[s] = nsh == n ? opt->ratios[s] : (double)h.count[s] / (double)n;
    }

    size_t ntrain = 0;
    for (size_t i = 0; i < n; i++)
        if (split[i] == CV_SPLIT_TRAIN || h.count[CV_SPLIT_TRAIN] == 0) train[ntrain++] = smiles[i];
    if (vocab) {
        st = cv_vocab_from_tokens(&voc, (const char *const *)vocab->tokens, vocab->n, err);
    } else {
        st = cv_vocab_build(&voc, train, ntrain, err);
    }
    if (st) goto fail;
    int unk_ok = vocab ? opt->unk_ok : 1;

    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.version = DATASET_VERSION;
    h.n = n;
    h.T = opt->T;
    h.V = voc.n;
    h.P = P;
    h.id_bytes = voc.n <= 256 ? 1 : 2;
    h.seed = opt->seed;
    for (int s = 0; s < CV_NSPLITS; s++) h.ratios[s] = ratios[s];
    h.vocab_hash = cv_vocab_hash(&voc);
    for (size_t i = 0; i < voc.n; i++) h.vocab_bytes += strlen(voc.tokens[i]) + 1;
    for (size_t p = 0; p < P; p++) h.names_bytes += strlen(prop_names[p]) + 1;
    for (size_t i = 0; i < n; i++) h.smiles_bytes += strlen(smiles[i]) + 1;
    DsLayout L;
    if (!layout_of(&h, &L)) {
        st = cv_error_set(err, CV_ERR_INVALID, "dataset: too large");
        goto fail;
    }
    blob = calloc(1, L.total);
    if (!blob) goto nomem;

    char *p = (char *)blob + L.vocab;
    for (size_t i = 0; i < voc.n; i++) p = stpcpy(p, voc.tokens[i]) + 1;
    p = (char *)blob + L.names;
    for (size_t k = 0; k < P; k++) p = stpcpy(p, prop_names[k]) + 1;
    uint64_t *soff = (uint64_t *)(blob + L.smiles_off);
    p = (char *)blob + L.smiles;
    soff[0] = 0;
    uint32_t *lengths = (uint32_t *)(blob + L.lengths);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if ((st = cv_vocab_encode(&voc, smiles[i], opt->T, unk_ok, row, &len, err))) {
            cv_error_prefix(err, "dataset: molecule %zu", i + 1);
            goto fail;
        }
        int has_unk = 0;
        for (size_t t = 0; t < opt->T; t++) {
            has_unk |= row[t] == VOCAB_UNK;
            if (h.id_bytes == 1) blob[L.ids + i * opt->T + t] = (uint8_t)row[t];
            else ((uint16_t *)(blob + L.ids))[i * opt->T + t] = (uint16_t)row[t];
        }
        h.unk_rows += has_unk;
        lengths[i] = (uint32_t)len;
        char *e = stpcpy(p, smiles[i]) + 1;
        soff[i + 1] = soff[i] + (uint64_t)(e - p);
        p = e;
    }
    if (P) memcpy(blob + L.props, props, n * P * sizeof(float));
    memcpy(blob + L.split, split, n);

    /* Normalization over the train split (double accumulation). */
    float *mean = (float *)(blob + L.mean), *std = (float *)(blob + L.std);
    for (size_t k = 0; k < P; k++) {
        double s = 0, s2 = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (split[i] != CV_SPLIT_TRAIN) continue;
            double x = props[i * P + k];
            s += x;
            s2 += x * x;
            m++;
        }
        double mu = m ? s / (double)m : 0.0;
        double var = m ? s2 / (double)m - mu * mu : 0.0;
        double sd = var > 0 ? sqrt(var) : 0.0;
        mean[k] = (float)mu;
        std[k] = sd > 1e-12 ? (float)sd : 1.0f;
    }
    memcpy(blob, &h, sizeof h);
    uint64_t sum = cv_fnv1a64(CV_FNV64_INIT, blob, L.sum);
    memcpy(blob + L.sum, &sum, sizeof sum);

    cv_vocab_free(&voc);
    free(split);
    free(perm);
    free(row);
    free(train);
    return index_blob(ds, blob, L.total, "dataset", err);
nomem:
    st = cv_error_set(err, CV_ERR_NOMEM, "dataset: out of memory for %zu molecules", n);
fail:
    cv_vocab_free(&voc);
    free(split);
    free(perm);
    free(row);
    free(train);
    free(blob);
    return st;
}

CvStatus cv_dataset_save(const CvDataset *ds, const char *path, CvError *err) {
    return cv_atomic_write_file(path, ds->blob, ds->blob_size, err);
}

CvStatus cv_dataset_load(CvDataset *ds, const char *path, CvError *err) {
    char *data;
    size_t len;
    memset(ds, 0, sizeof *ds);
    CvStatus st = cv_read_file(path, &data, &len, err);
    if (st) return st;
    return index_blob(ds, data, len, path, err);
}

CvStatus cv_dataset_split_indices(const CvDataset *ds, int split, uint32_t **idx, size_t *n,
                                  CvError *err) {
    *idx = NULL;
    *n = 0;
    if (split < 0 || split >= CV_NSPLITS)
        return cv_error_set(err, CV_ERR_INVALID, "dataset: no split %d", split);
    size_t m = ds->count[split];
    if (m == 0) return CV_OK;
    uint32_t *out = malloc(m * sizeof *out);
    if (!out) return cv_error_set(err, CV_ERR_NOMEM, "dataset: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->split[i] == split) out[k++] = (uint32_t)i;
    *idx = out;
    *n = k;
    return CV_OK;
}

void cv_dataset_fill_ids(const CvDataset *ds, const uint32_t *rows, size_t B, int32_t *ids) {
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < ds->T; t++) ids[b * ds->T + t] = (int32_t)dataset_id(ds, rows[b], t);
}

void cv_dataset_fill_onehot(const CvDataset *ds, const uint32_t *rows, size_t B, float *x) {
    size_t T = ds->T, V = ds->V;
    memset(x, 0, (size_t)B * T * V * sizeof *x);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            x[((size_t)b * T + t) * V + dataset_id(ds, rows[b], t)] = 1.0f;
}

void cv_dataset_fill_props(const CvDataset *ds, const uint32_t *rows, size_t B, float *y) {
    size_t P = ds->P;
    for (size_t b = 0; b < B; b++)
        for (size_t k = 0; k < P; k++)
            y[b * P + k] =
                (ds->props[(size_t)rows[b] * P + k] - ds->prop_mean[k]) / ds->prop_std[k];
}
