/* app_metrics.c — the metrics job (see app_metrics.h). Every molecule of the inputs is parsed,
 * canonicalized and scored once (cv_chem_score_smiles) and fingerprinted (Morgan radius 2,
 * 1024 bits as 16 words); the pairwise terms are popcounts. */
#include "chemvae/app/app_metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"

#define F(field) offsetof(CvMetricsConfig, field)
static const CvParam PARAMS[] = {
    CV_PARAM("train", 0, CV_PARAM_STRING, F(train), "FILE", "training molecules: novelty"),
    CV_PARAM("test", 0, CV_PARAM_STRING, F(test), "FILE",
             "test molecules: SNN and the Wasserstein distances of\nlogP, SA, QED and weight"),
};
#undef F
const CvParamTable cv_metrics_params = CV_PARAM_TABLE(PARAMS);

enum { FP_WORDS = 16 }; /* 1024 bits */

/* The valid molecules of a file: canonical SMILES, scores, fingerprints. */
typedef struct {
    size_t n_read, n;
    char **canon;
    ChemScores *s;
    uint64_t *fp; /* (n, FP_WORDS) */
} MolSet;

static void molset_free(MolSet *m) {
    for (size_t i = 0; i < m->n; i++) free(m->canon[i]);
    free(m->canon);
    free(m->s);
    free(m->fp);
    memset(m, 0, sizeof *m);
}

static CvStatus molset_read(const char *path, MolSet *m, CvError *err) {
    char **smiles = NULL;
    size_t n = 0;
    memset(m, 0, sizeof *m);
    CvStatus st = cv_read_smiles_csv(path, 0, &smiles, &n, err);
    if (st) return st;
    m->n_read = n;
    m->canon = calloc(n ? n : 1, sizeof *m->canon);
    m->s = calloc(n ? n : 1, sizeof *m->s);
    m->fp = calloc((n ? n : 1) * FP_WORDS, sizeof *m->fp);
    if (!m->canon || !m->s || !m->fp) st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        ChemMol *mol = cv_chem_mol_from_smiles(smiles[i]);
        if (!mol) continue;
        m->canon[m->n] = cv_chem_mol_canonical(mol);
        st = cv_chem_mol_scores(mol, &m->s[m->n], err);
        if (!st) st = cv_chem_mol_morgan(mol, 64 * FP_WORDS, m->fp + m->n * FP_WORDS, err);
        cv_chem_mol_free(mol);
        if (!m->canon[m->n] && !st) st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
        m->n++;
    }
    cv_free_strings(smiles, n);
    if (st) molset_free(m);
    return st;
}

/* MOSES's Tanimoto: two empty fingerprints count 1. */
static double tanimoto(const uint64_t *a, const uint64_t *b) {
    int both = 0, either = 0;
    for (int w = 0; w < FP_WORDS; w++) {
        both += __builtin_popcountll(a[w] & b[w]);
        either += __builtin_popcountll(a[w] | b[w]);
    }
    return either ? (double)both / either : 1.0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct strings among s[0..n) (sorts s). */
static size_t n_distinct(char **s, size_t n) {
    qsort(s, n, sizeof *s, cmp_str);
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += !i || strcmp(s[i], s[i - 1]);
    return d;
}

/* unique@k over the first min(k, n) valid molecules. */
static double unique_at(const MolSet *g, size_t k, CvStatus *st, CvError *err) {
    size_t n = g->n < k ? g->n : k;
    char **s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return *st = cv_error_set(err, CV_ERR_NOMEM, "out of memory"), NAN;
    memcpy(s, g->canon, n * sizeof *s);
    double u = n ? (double)n_distinct(s, n) / (double)n : NAN;
    free(s);
    return u;
}

/* IntDiv_p: 1 - mean_i (mean_j T(i,j)^p)^(1/p), p = 1 and 2. */
static void int_div(const MolSet *g, double *d1, double *d2) {
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < g->n; i++) {
        double a1 = 0, a2 = 0;
        for (size_t j = 0; j < g->n; j++) {
            double t = tanimoto(g->fp + i * FP_WORDS, g->fp + j * FP_WORDS);
            a1 += t, a2 += t * t;
        }
        s1 += a1 / (double)g->n;
        s2 += sqrt(a2 / (double)g->n);
    }
    *d1 = g->n ? 1.0 - s1 / (double)g->n : NAN;
    *d2 = g->n ? 1.0 - s2 / (double)g->n : NAN;
}

/* Distinct valid molecules of g not among the canonical SMILES of t / distinct valid. */
static double novelty(const MolSet *g, const MolSet *t, CvStatus *st, CvError *err) {
    char **gs = malloc((g->n ? g->n : 1) * sizeof *gs),
         **ts = malloc((t->n ? t->n : 1) * sizeof *ts);
    if (!gs || !ts) {
        free(gs), free(ts);
        return *st = cv_error_set(err, CV_ERR_NOMEM, "out of memory"), NAN;
    }
    memcpy(gs, g->canon, g->n * sizeof *gs);
    memcpy(ts, t->canon, t->n * sizeof *ts);
    qsort(ts, t->n, sizeof *ts, cmp_str);
    size_t d = n_distinct(gs, g->n), novel = 0;
    for (size_t i = 0; i < g->n; i++)
        if ((!i || strcmp(gs[i], gs[i - 1])) && !bsearch(&gs[i], ts, t->n, sizeof *ts, cmp_str))
            novel++;
    free(gs), free(ts);
    return d ? (double)novel / (double)d : NAN;
}

/* SNN: mean over g of the highest Tanimoto to t. */
static double snn(const MolSet *g, const MolSet *t) {
    double sum = 0;
    for (size_t i = 0; i < g->n; i++) {
        double best = 0;
        for (size_t j = 0; j < t->n; j++) {
            double x = tanimoto(g->fp + i * FP_WORDS, t->fp + j * FP_WORDS);
            if (x > best) best = x;
        }
        sum += best;
    }
    return g->n && t->n ? sum / (double)g->n : NAN;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wasserstein-1 between the empirical distributions u[0..n) and v[0..m) (both sorted in
 * place): the integral of |U(x) - V(x)|. */
static double wasserstein(double *u, size_t n, double *v, size_t m) {
    if (!n || !m) return NAN;
    qsort(u, n, sizeof *u, cmp_double);
    qsort(v, m, sizeof *v, cmp_double);
    size_t i = 0, j = 0;
    double x = u[0] < v[0] ? u[0] : v[0], w = 0;
    while (i < n || j < m) {
        double next = j >= m || (i < n && u[i] <= v[j]) ? u[i] : v[j];
        w += fabs((double)i / n - (double)j / m) * (next - x);
        x = next;
        while (i < n && u[i] <= x) i++;
        while (j < m && v[j] <= x) j++;
    }
    return w;
}

/* The property k (0 logP, 1 SA, 2 QED, 3 MW) of every molecule of a set into out. */
static void property(const MolSet *m, int k, double *out) {
    for (size_t i = 0; i < m->n; i++)
        out[i] = k == 0 ? m->s[i].logp : k == 1 ? m->s[i].sa : k == 2 ? m->s[i].qed : m->s[i].mw;
}

static void add(CvMetricsResult *r, const char *name, double v) {
    snprintf(r->metrics[r->n_metrics].name, sizeof r->metrics[0].name, "%s", name);
    r->metrics[r->n_metrics++].v = v;
}

CvStatus cv_metrics(const CvMetricsConfig *c, CvMetricsResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    MolSet g = {0}, tr = {0}, te = {0};
    CvStatus st = molset_read(c->gen, &g, err);
    if (!st && c->train) st = molset_read(c->train, &tr, err);
    if (!st && c->test) st = molset_read(c->test, &te, err);
    if (!st) {
        res->n_gen = g.n_read, res->n_valid = g.n;
        add(res, "valid", g.n_read ? (double)g.n / (double)g.n_read : NAN);
        add(res, "unique@1000", unique_at(&g, 1000, &st, err));
        add(res, "unique@10000", unique_at(&g, 10000, &st, err));
        double d1, d2;
        int_div(&g, &d1, &d2);
        add(res, "IntDiv1", d1);
        add(res, "IntDiv2", d2);
    }
    if (!st && c->train) add(res, "novelty", novelty(&g, &tr, &st, err));
    if (!st && c->test) add(res, "SNN", snn(&g, &te));
    static const char *const PROPS[] = {"logP", "SA", "QED", "weight"};
    double *u = st || !c->test ? NULL : malloc((g.n ? g.n : 1) * sizeof *u);
    double *v = u ? malloc((te.n ? te.n : 1) * sizeof *v) : NULL;
    if (!st && c->test && !v) st = cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    for (int k = 0; !st && v && k < 4; k++) {
        property(&g, k, u);
        property(&te, k, v);
        add(res, PROPS[k], wasserstein(u, g.n, v, te.n));
    }
    free(u), free(v);
    molset_free(&g), molset_free(&tr), molset_free(&te);
    return st;
}
