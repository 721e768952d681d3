/* app_metrics.c — the metrics job (see app_metrics.h for the definitions).
 *
 * Each string is parsed and its molecule worked on once, on `threads` workers
 * (cv_parallel_for, a few molecules at a time from a shared counter: RDKit's time per
 * molecule varies): a generated molecule's canonical SMILES is parsed again (MOSES computes
 * everything after validity on its canonical SMILES), then fingerprinted (Morgan radius 2,
 * 1024 bits as 16 words), cut into BRICS fragments, reduced to its scaffold, filtered and
 * scored, each through src/chem. The pairwise terms, IntDiv over every pair of generated
 * molecules and SNN over every generated x test pair, run chem_fp.c's popcount kernel
 * (cv_chem_fp_tanimoto_many_bits) row by row, rows split over the workers; each row's sums
 * are kept and added in row order, so no result depends on the thread count. Fragment and
 * scaffold counts are compared by sorting the strings of both sides together and counting
 * them in one sweep. Measured on tests/fixtures/generated3400.txt against 2,500 training and
 * 1,000 test molecules (tests/check-metrics.sh): see README "Metrics". */
#include "chemvae/app/app_metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/parfor.h"

#define F(field) offsetof(CvMetricsConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("train", 0, CV_PARAM_STRING, F(train), "FILE", "training molecules: novelty"),
    CV_PARAM("test", 0, CV_PARAM_STRING, F(test), "FILE",
             "test molecules: SNN, Frag, Scaf and the Wasserstein\ndistances of logP, SA, QED and "
             "weight"),
    CV_PARAM("smiles-col", 0, CV_PARAM_STRING, F(smiles_col), "NAME",
             "the SMILES column of CSV inputs (default: the one\nnamed smiles, else the first)"),
    CV_PARAM("threads", 'j', CV_PARAM_THREADS, F(threads), "N",
             "RDKit worker threads (default: all CPUs)"),
};
#undef F
const CvParamTable cv_metrics_params = CV_PARAM_TABLE(PARAMS);

enum { FP_BITS = 1024, FP_WORDS = FP_BITS / 64 };
_Static_assert(CV_METRICS_MAX <= CV_EVAL_MAX_METRICS - 16 - SMILES_FAIL_COUNT - CKPT_MAX_PROPS,
               "eval has room for every metric as moses_<name>");
enum { ROLE_GEN, ROLE_TEST, ROLE_TRAIN };

/* One input string and what the metrics need of its molecule. */
typedef struct {
    int valid;                /* the string is a molecule */
    int used;                 /* the metrics use it (gen: its canonical SMILES parsed again) */
    char *canon;              /* gen: canonical SMILES of the molecule used; train: canonical */
    char *frags;              /* BRICS fragments joined by '.' (gen, test) */
    char *scaf;               /* scaffold of >= 2 rings, or NULL (gen, test) */
    ChemFilterVerdict filter; /* gen */
    ChemScores s;
    uint64_t fp[FP_WORDS];
    CvStatus st; /* CV_ERR_CHEM or CV_ERR_NOMEM met on this molecule */
} Item;

typedef struct {
    const char *const *in;
    size_t n;
    int role;
    Item *items;
} ItemSet;

/* Fingerprint, fragments, scaffold, filter verdict (gen) and scores of mol; the scores come
 * last because RDKit's stereo perception for them annotates the molecule. */
static void item_fill(Item *it, const ChemMol *mol, int role) {
    int rings = 0;
    if (cv_chem_mol_morgan(mol, FP_BITS, it->fp, NULL)) it->st = CV_ERR_CHEM;
    if (!(it->frags = cv_chem_mol_brics(mol))) it->st = CV_ERR_CHEM;
    it->scaf = cv_chem_mol_scaffold(mol, &rings);
    if (it->scaf && (rings < 2 || !it->scaf[0])) { /* MOSES's min_rings = 2 */
        free(it->scaf);
        it->scaf = NULL;
    }
    if (role == ROLE_GEN) it->filter = cv_chem_mol_filters(mol);
    if (cv_chem_mol_scores(mol, &it->s, NULL)) it->st = CV_ERR_CHEM;
}

static void item_process(const char *s, int role, Item *it) {
    ChemMol *mol = s ? cv_chem_mol_from_smiles(s) : NULL;
    if (!(it->valid = mol != NULL)) return;
    if (role == ROLE_TEST) {
        it->used = 1;
        item_fill(it, mol, role);
        cv_chem_mol_free(mol);
        return;
    }
    char *canon = cv_chem_mol_canonical(mol);
    cv_chem_mol_free(mol);
    if (!canon || role == ROLE_TRAIN) {
        it->canon = canon;
        it->st = canon ? CV_OK : CV_ERR_NOMEM;
        return;
    }
    ChemMol *again = cv_chem_mol_from_smiles(canon);
    free(canon);
    if (!again) return; /* a canonical SMILES RDKit does not read back */
    it->used = 1;
    if (!(it->canon = cv_chem_mol_canonical(again))) it->st = CV_ERR_NOMEM;
    item_fill(it, again, role);
    cv_chem_mol_free(again);
}

static void process_range(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    ItemSet *set = ctx;
    for (size_t i = b0; i < b1; i++) item_process(set->in[i], set->role, &set->items[i]);
}

static void set_free(ItemSet *set) {
    for (size_t i = 0; set->items && i < set->n; i++) {
        free(set->items[i].canon);
        free(set->items[i].frags);
        free(set->items[i].scaf);
    }
    free(set->items);
    set->items = NULL;
}

/* Works on every string of in[0..n); the error of the first molecule that failed. */
static CvStatus set_process(ItemSet *set, const char *const *in, size_t n, int role, int threads,
                            CvError *err) {
    *set = (ItemSet){in, n, role, calloc(n ? n : 1, sizeof(Item))};
    if (!set->items) return cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    cv_parallel_for(n, threads, 4, process_range, set);
    for (size_t i = 0; i < n; i++) {
        if (set->items[i].st == CV_ERR_NOMEM)
            return cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
        if (set->items[i].st)
            return cv_error_set(err, CV_ERR_CHEM, "metrics: RDKit failed on '%s'", in[i]);
    }
    return CV_OK;
}

/* The items the metrics use, in input order (malloc'd array of pointers into set). */
static Item **used_items(const ItemSet *set, size_t *n) {
    Item **u = malloc((set->n ? set->n : 1) * sizeof *u);
    *n = 0;
    for (size_t i = 0; u && i < set->n; i++)
        if (set->items[i].used) u[(*n)++] = &set->items[i];
    return u;
}

/* ---- the pairwise terms ------------------------------------------------------------------ */

typedef struct {
    const uint64_t *q, *ref; /* (nq, FP_WORDS), (nref, FP_WORDS) */
    size_t nq, nref;
    const int *qbits, *refbits;  /* bits set per fingerprint */
    double *mean1, *mean2, *max; /* per query row: mean T, mean T^2, max T (NaN: not done) */
} Pairs;

static void pairs_range(void *ctx, size_t b0, size_t b1, int worker) {
    (void)worker;
    Pairs *p = ctx;
    double *t = malloc((p->nref ? p->nref : 1) * sizeof *t);
    for (size_t i = b0; t && i < b1; i++) {
        cv_chem_fp_tanimoto_many_bits((const unsigned char *)(p->q + i * FP_WORDS),
                                      (const unsigned char *)p->ref, p->nref, FP_BITS, t);
        double s1 = 0, s2 = 0, best = 0;
        for (size_t j = 0; j < p->nref; j++) {
            double x = !p->qbits[i] && !p->refbits[j] ? 1.0 : t[j]; /* MOSES: 0/0 -> 1 */
            s1 += x, s2 += x * x;
            best = x > best ? x : best;
        }
        p->mean1[i] = p->nref ? s1 / (double)p->nref : 0.0;
        p->mean2[i] = p->nref ? s2 / (double)p->nref : 0.0;
        p->max[i] = best;
    }
    free(t);
}

/* The fingerprints of items[0..n) one after the other, and their bit counts. */
static uint64_t *fp_array(Item *const *items, size_t n, int **bits) {
    uint64_t *fp = malloc((n ? n : 1) * FP_WORDS * sizeof *fp);
    *bits = malloc((n ? n : 1) * sizeof **bits);
    for (size_t i = 0; fp && *bits && i < n; i++) {
        memcpy(fp + i * FP_WORDS, items[i]->fp, sizeof items[i]->fp);
        (*bits)[i] = 0;
        for (int w = 0; w < FP_WORDS; w++) (*bits)[i] += __builtin_popcountll(items[i]->fp[w]);
    }
    return fp;
}

/* Row statistics of q (nq items) against ref (nref items): per row of q its mean T, mean T^2
 * and highest T, into out[0..3*nq). */
static CvStatus pair_rows(Item *const *q, size_t nq, Item *const *ref, size_t nref, int threads,
                          double *out, CvError *err) {
    int *qbits = NULL, *rbits = NULL;
    uint64_t *qfp = fp_array(q, nq, &qbits), *rfp = fp_array(ref, nref, &rbits);
    Pairs p = {qfp, rfp, nq, nref, qbits, rbits, out, out + nq, out + 2 * nq};
    CvStatus st = CV_OK;
    for (size_t i = 0; i < 3 * nq; i++) out[i] = NAN;
    if (qfp && rfp && qbits && rbits) cv_parallel_for(nq, threads, 0, pairs_range, &p);
    for (size_t i = 0; i < nq && !st; i++)
        if (isnan(out[i])) st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    free(qfp), free(rfp), free(qbits), free(rbits);
    return st;
}

/* ---- counts of strings ------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct strings among s[0..n) (sorts s). */
static size_t n_distinct(const char **s, size_t n) {
    qsort(s, n, sizeof *s, cmp_str);
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += !i || strcmp(s[i], s[i - 1]);
    return d;
}

/* A fragment or scaffold of the generated (side 0) or the test (side 1) molecules. */
typedef struct {
    const char *s;
    int side;
} Key;

static int cmp_key(const void *a, const void *b) {
    return strcmp(((const Key *)a)->s, ((const Key *)b)->s);
}

/* MOSES's cos_similarity of the two sides' counts of k[0..n) (sorts k): <g, t> / |g| |t|,
 * NaN when a side has no key. */
static double cosine(Key *k, size_t n) {
    qsort(k, n, sizeof *k, cmp_key);
    double dot = 0, gg = 0, tt = 0;
    for (size_t i = 0; i < n;) {
        double c[2] = {0, 0};
        size_t j = i;
        for (; j < n && !strcmp(k[j].s, k[i].s); j++) c[k[j].side]++;
        dot += c[0] * c[1], gg += c[0] * c[0], tt += c[1] * c[1];
        i = j;
    }
    return gg > 0 && tt > 0 ? dot / sqrt(gg * tt) : NAN;
}

/* Appends the keys of one molecule: its '.'-separated fragments (cut in place) or its
 * scaffold; k has room for them. */
static size_t add_keys(Key *k, size_t n, char *s, int fragments, int side) {
    if (!s) return n;
    k[n++] = (Key){s, side};
    for (char *p = s; fragments && (p = strchr(p, '.')); *p++ = '\0') k[n++] = (Key){p + 1, side};
    return n;
}

/* Frag (fragments = 1) or Scaf (0) of g[0..ng) against t[0..nt). */
static double count_similarity(Item *const *g, size_t ng, Item *const *t, size_t nt, int fragments,
                               CvStatus *st, CvError *err) {
    size_t cap = 0, n = 0;
    for (size_t i = 0; i < ng + nt; i++) {
        const char *s = i < ng ? g[i]->frags : t[i - ng]->frags;
        cap++;
        for (; fragments && s && (s = strchr(s, '.')); s++) cap++;
    }
    Key *k = malloc((cap ? cap : 1) * sizeof *k);
    if (!k) return *st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory"), NAN;
    for (size_t i = 0; i < ng + nt; i++) {
        Item *it = i < ng ? g[i] : t[i - ng];
        n = add_keys(k, n, fragments ? it->frags : it->scaf, fragments, i >= ng);
    }
    double c = cosine(k, n);
    free(k);
    return c;
}

/* ---- the metrics ------------------------------------------------------------------------- */

static void add(CvMetricsResult *r, const char *name, double v) {
    snprintf(r->metrics[r->n_metrics].name, sizeof r->metrics[0].name, "%s", name);
    r->metrics[r->n_metrics++].v = v;
}

__attribute__((format(printf, 2, 3))) static void note(CvMetricsResult *r, const char *fmt, ...) {
    if (r->n_notes >= CV_METRICS_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], CV_METRICS_NOTE_LEN, fmt, ap);
    va_end(ap);
}

/* unique@k over the first min(k, n) molecules of g. */
static double unique_at(Item *const *g, size_t n, size_t k, CvMetricsResult *r, CvStatus *st,
                        CvError *err) {
    if (n < k)
        note(r,
             "unique@%zu is over all %zu molecules: fewer than %zu (MOSES warns and does the "
             "same)",
             k, n, k);
    n = n < k ? n : k;
    const char **s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return *st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory"), NAN;
    for (size_t i = 0; i < n; i++) s[i] = g[i]->canon;
    double u = n ? (double)n_distinct(s, n) / (double)n : NAN;
    free(s);
    return u;
}

/* Filters, and a note of why molecules fail them. */
static double filters(Item *const *g, size_t n, CvMetricsResult *r) {
    size_t count[CHEM_FILTER_ERROR + 1] = {0};
    for (size_t i = 0; i < n; i++) count[g[i]->filter]++;
    char why[CV_METRICS_NOTE_LEN] = "";
    for (int v = 1; v <= CHEM_FILTER_ERROR; v++)
        if (count[v])
            snprintf(why + strlen(why), sizeof why - strlen(why), " %s %zu",
                     cv_chem_filter_name((ChemFilterVerdict)v), count[v]);
    if (n - count[CHEM_FILTER_PASS])
        note(r, "Filters: %zu of %zu molecules fail, first on:%s", n - count[CHEM_FILTER_PASS], n,
             why);
    return n ? (double)count[CHEM_FILTER_PASS] / (double)n : NAN;
}

/* Distinct molecules of g whose canonical SMILES is not among train[0..nt) / distinct
 * molecules. */
static double novelty(Item *const *g, size_t n, const char **train, size_t nt, CvStatus *st,
                      CvError *err) {
    const char **s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return *st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory"), NAN;
    for (size_t i = 0; i < n; i++) s[i] = g[i]->canon;
    qsort(train, nt, sizeof *train, cmp_str);
    size_t d = n_distinct(s, n), novel = 0;
    for (size_t i = 0; i < n; i++)
        if ((!i || strcmp(s[i], s[i - 1])) && !bsearch(&s[i], train, nt, sizeof *train, cmp_str))
            novel++;
    free(s);
    return d ? (double)novel / (double)d : NAN;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wasserstein-1 between the empirical distributions u[0..n) and v[0..m) (both sorted in
 * place): the integral of |U(x) - V(x)|, scipy's wasserstein_distance. */
static double wasserstein(double *u, size_t n, double *v, size_t m) {
    if (!n || !m) return NAN;
    qsort(u, n, sizeof *u, cmp_double);
    qsort(v, m, sizeof *v, cmp_double);
    size_t i = 0, j = 0;
    double x = u[0] < v[0] ? u[0] : v[0], w = 0;
    while (i < n || j < m) {
        double next = j >= m || (i < n && u[i] <= v[j]) ? u[i] : v[j];
        w += fabs((double)i / (double)n - (double)j / (double)m) * (next - x);
        x = next;
        while (i < n && u[i] <= x) i++;
        while (j < m && v[j] <= x) j++;
    }
    return w;
}

/* Property k (0 logP, 1 SA, 2 QED, 3 MW) of items[0..n) into out. */
static void property(Item *const *items, size_t n, int k, double *out) {
    for (size_t i = 0; i < n; i++) {
        const ChemScores *s = &items[i]->s;
        out[i] = k == 0 ? s->logp : k == 1 ? s->sa : k == 2 ? s->qed : s->mw;
    }
}

/* The four Wasserstein distances of g[0..n) to t[0..m). */
static CvStatus distances(Item *const *g, size_t n, Item *const *t, size_t m, CvMetricsResult *r,
                          CvError *err) {
    static const char *const NAMES[] = {"logP", "SA", "QED", "weight"};
    double *u = malloc((n ? n : 1) * sizeof *u), *v = malloc((m ? m : 1) * sizeof *v);
    for (int k = 0; u && v && k < 4; k++) {
        property(g, n, k, u);
        property(t, m, k, v);
        add(r, NAMES[k], wasserstein(u, n, v, m));
    }
    CvStatus st = u && v ? CV_OK : cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    free(u), free(v);
    return st;
}

/* The metrics of the generated molecules g[0..n) alone. */
static CvStatus own_metrics(Item *const *g, size_t n, int threads, CvMetricsResult *r,
                            CvError *err) {
    CvStatus st = CV_OK;
    add(r, "unique@1000", unique_at(g, n, 1000, r, &st, err));
    add(r, "unique@10000", unique_at(g, n, 10000, r, &st, err));
    double *rows = st ? NULL : malloc((n ? 3 * n : 1) * sizeof *rows);
    if (!st && !rows) st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    if (!st) st = pair_rows(g, n, g, n, threads, rows, err);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; !st && i < n; i++) s1 += rows[i], s2 += sqrt(rows[n + i]);
    free(rows);
    if (st) return st;
    add(r, "IntDiv1", n ? 1.0 - s1 / (double)n : NAN);
    add(r, "IntDiv2", n ? 1.0 - s2 / (double)n : NAN);
    add(r, "Filters", filters(g, n, r));
    return CV_OK;
}

/* novelty against the training molecules: in->train as they are when canonical already,
 * else the canonical SMILES of their valid ones. */
static CvStatus train_metrics(const CvMetricsInput *in, Item *const *g, size_t n,
                              CvMetricsResult *r, CvError *err) {
    ItemSet set = {0};
    CvStatus st = CV_OK;
    if (!in->train_canonical)
        st = set_process(&set, in->train, in->n_train, ROLE_TRAIN, in->threads, err);
    const char **train = st ? NULL : malloc((in->n_train ? in->n_train : 1) * sizeof *train);
    if (!st && !train) st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    size_t nt = 0;
    for (size_t i = 0; !st && i < in->n_train; i++)
        if (in->train_canonical || set.items[i].valid)
            train[nt++] = in->train_canonical ? in->train[i] : set.items[i].canon;
    if (!st && nt < in->n_train)
        note(r, "train: %zu of %zu strings are not molecules, left out", in->n_train - nt,
             in->n_train);
    r->n_train = nt;
    if (!st) add(r, "novelty", novelty(g, n, train, nt, &st, err));
    free(train);
    set_free(&set);
    return st;
}

/* SNN, Frag, Scaf and the distances against the test molecules. */
static CvStatus test_metrics(const CvMetricsInput *in, Item *const *g, size_t n, CvMetricsResult *r,
                             CvError *err) {
    ItemSet set = {0};
    size_t m = 0;
    Item **t = NULL;
    double *rows = NULL;
    CvStatus st = set_process(&set, in->test, in->n_test, ROLE_TEST, in->threads, err);
    if (!st && (!(t = used_items(&set, &m)) || !(rows = malloc((n ? 3 * n : 1) * sizeof *rows))))
        st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    if (!st && m < in->n_test)
        note(r, "test: %zu of %zu strings are not molecules, left out", in->n_test - m, in->n_test);
    r->n_test = m;
    if (!st) st = pair_rows(g, n, t, m, in->threads, rows, err);
    double snn = 0;
    for (size_t i = 0; !st && i < n; i++) snn += rows[2 * n + i];
    if (!st) add(r, "SNN", n && m ? snn / (double)n : NAN);
    if (!st) add(r, "Frag", count_similarity(g, n, t, m, 1, &st, err));
    if (!st) add(r, "Scaf", count_similarity(g, n, t, m, 0, &st, err));
    if (!st) st = distances(g, n, t, m, r, err);
    free(rows), free(t);
    set_free(&set);
    return st;
}

CvStatus cv_metrics_compute(const CvMetricsInput *in, CvMetricsResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    if (!in->n_gen) return cv_error_set(err, CV_ERR_INVALID, "metrics: no generated strings");
    ItemSet gen = {0};
    Item **g = NULL;
    CvStatus st = set_process(&gen, in->gen, in->n_gen, ROLE_GEN, in->threads, err);
    if (!st && !(g = used_items(&gen, &res->n_used)))
        st = cv_error_set(err, CV_ERR_NOMEM, "metrics: out of memory");
    if (!st) {
        note(res, "FCD is not computed: it needs ChemNet's trained weights, which no Debian "
                  "package ships");
        res->n_gen = in->n_gen;
        for (size_t i = 0; i < in->n_gen; i++) res->n_valid += (size_t)gen.items[i].valid;
        if (res->n_used < res->n_valid)
            note(res,
                 "%zu valid molecules whose canonical SMILES RDKit does not read back are "
                 "left out after valid",
                 res->n_valid - res->n_used);
        add(res, "valid", (double)res->n_valid / (double)in->n_gen);
        st = own_metrics(g, res->n_used, in->threads, res, err);
    }
    if (!st && in->train) st = train_metrics(in, g, res->n_used, res, err);
    if (!st && in->test) st = test_metrics(in, g, res->n_used, res, err);
    free(g);
    set_free(&gen);
    return st;
}

CvStatus cv_metrics(const CvMetricsConfig *c, CvMetricsResult *res, CvError *err) {
    char **s[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0};
    const char *path[3] = {c->gen, c->train, c->test};
    CvStatus st = CV_OK;
    for (int k = 0; k < 3 && !st; k++)
        if (path[k]) st = cv_read_smiles_column(path[k], c->smiles_col, 0, &s[k], &n[k], err);
    CvMetricsInput in = {(const char *const *)s[0],
                         n[0],
                         (const char *const *)s[1],
                         n[1],
                         0,
                         (const char *const *)s[2],
                         n[2],
                         c->threads};
    if (!st) st = cv_metrics_compute(&in, res, err);
    for (int k = 0; k < 3; k++) cv_free_strings(s[k], n[k]);
    return st;
}
