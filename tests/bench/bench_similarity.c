/* bench_similarity.c — similarity search on stored fingerprints, one thread. Stores the
 * molecules of a SMILES file in a new results DB (the store fingerprints each at insert),
 * reads the fingerprints back from the DB and times, in CPU time of the calling thread,
 * best of PASSES passes (the pass least disturbed by other load on a shared machine):
 *   - the Tanimoto kernel: each of the first Q stored fingerprints against all N
 *     (cv_chem_fp_tanimoto_many), in comparisons per second, with a checksum (the sum of
 *     all similarities) that tests/bench/similarity_rdkit.py must reproduce;
 *   - `query similar` end to end (cv_store_similar, k 10, on a read-only open): SQLite's
 *     scan of molecules plus the kernel plus reading the k rows, in rows per second.
 * Insert rate (with fingerprinting) is wall time of one pass. Run by similarity.sh.
 * usage: bench_similarity SMILES_FILE DB [Q [PASSES]]   (DB must not exist) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chemvae/chem/chem.h"
#include "chemvae/store/store.h"

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double wall_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what, const CvError *err) {
    fprintf(stderr, "bench_similarity: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* The canonical SMILES of the valid lines of `path` (malloc'd array, *n entries). */
static char **read_smiles(const char *path, size_t *n) {
    FILE *f = fopen(path, "r");
    if (!f) die(path, NULL);
    char **out = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    *n = 0;
    while (getline(&line, &lcap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        char *can = cv_chem_canonical(line);
        if (!can) continue;
        if (*n == cap && !(out = realloc(out, (cap = cap ? 2 * cap : 1024) * sizeof *out)))
            die("out of memory", NULL);
        out[(*n)++] = can;
    }
    free(line);
    fclose(f);
    return out;
}

/* Stores the molecules in batches of 1024, as a generating command does. */
static void store_molecules(const char *db, char **smiles, size_t n) {
    Store *s = NULL;
    CvError err = {0};
    StoreMolecule batch[1024];
    double t0 = wall_seconds();
    if (cv_store_open(db, 0, &s, &err)) die(db, &err);
    for (size_t i = 0; i < n; i += 1024) {
        size_t b = n - i < 1024 ? n - i : 1024;
        for (size_t j = 0; j < b; j++) batch[j] = (StoreMolecule){smiles[i + j], 0, 0, 0, 0, 0};
        if (cv_store_upsert_molecules(s, 0, batch, b, NULL, &err)) die(db, &err);
    }
    cv_store_close(s);
    double dt = wall_seconds() - t0;
    printf("chemvae store: %zu molecules inserted with fingerprints in %.2f s wall: %.0f mol/s\n",
           n, dt, (double)n / dt);
}

typedef struct {
    unsigned char *fps;
    size_t n, cap;
} Fps;

static int collect_fp(void *ctx, size_t ncol, const char *const *names, const StoreValue *v) {
    (void)ncol;
    (void)names;
    Fps *f = ctx;
    if (!v || v[0].type != STORE_BLOB || v[0].len != CHEM_FP_BYTES) return 0;
    if (f->n == f->cap &&
        !(f->fps = realloc(f->fps, (f->cap = f->cap ? 2 * f->cap : 1024) * CHEM_FP_BYTES)))
        return 1;
    memcpy(f->fps + f->n++ * CHEM_FP_BYTES, v[0].s, CHEM_FP_BYTES);
    return 0;
}

static void bench_kernel(const Fps *f, size_t q, int passes) {
    double *out = malloc(f->n * sizeof *out), best = -1, checksum = 0;
    if (!out) die("out of memory", NULL);
    for (int p = 0; p < passes; p++) {
        double t0 = cpu_seconds(), sum = 0;
        for (size_t i = 0; i < q; i++) {
            cv_chem_fp_tanimoto_many(f->fps + i * CHEM_FP_BYTES, f->fps, f->n, out);
            for (size_t j = 0; j < f->n; j++) sum += out[j];
        }
        double dt = cpu_seconds() - t0;
        if (best < 0 || dt < best) best = dt;
        checksum = sum;
    }
    printf("chemvae kernel: %zu fingerprints x %zu queries, best of %d passes %.4f s CPU: "
           "%.2f M comparisons/s (checksum %.6f)\n",
           f->n, q, passes, best, (double)f->n * (double)q / best / 1e6, checksum);
    free(out);
}

static void bench_query(Store *s, char **smiles, size_t n, size_t q, int passes) {
    CvError err = {0};
    double best = -1;
    size_t queries = q < 20 ? q : 20;
    for (int p = 0; p < passes; p++) {
        double t0 = cpu_seconds();
        for (size_t i = 0; i < queries; i++) {
            StoreTable t;
            if (cv_store_similar(s, smiles[i], 10, 0, &t, &err)) die("similar", &err);
            cv_store_table_free(&t);
        }
        double dt = (cpu_seconds() - t0) / (double)queries;
        if (best < 0 || dt < best) best = dt;
    }
    printf("chemvae query similar (k 10): %.2f ms CPU per query over %zu stored molecules: "
           "%.2f M rows/s (best of %d passes of %zu queries)\n",
           best * 1e3, n, (double)n / best / 1e6, passes, queries);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_similarity SMILES_FILE DB [Q [PASSES]]\n");
        return 2;
    }
    size_t q = argc > 3 ? strtoull(argv[3], NULL, 10) : 100;
    int passes = argc > 4 ? atoi(argv[4]) : 5;
    cv_chem_log_rdkit(0);
    size_t n = 0;
    char **smiles = read_smiles(argv[1], &n);
    if (q > n) q = n;
    store_molecules(argv[2], smiles, n);
    Store *s = NULL;
    CvError err = {0};
    Fps f = {0};
    if (cv_store_open(argv[2], STORE_READ_ONLY, &s, &err)) die(argv[2], &err);
    if (cv_store_select_each(s, "SELECT fp FROM molecules ORDER BY id", NULL, 0, collect_fp, &f,
                             &err))
        die("reading fingerprints", &err);
    bench_kernel(&f, q, passes);
    bench_query(s, smiles, f.n, q, passes);
    cv_store_close(s);
    for (size_t i = 0; i < n; i++) free(smiles[i]);
    free(smiles);
    free(f.fps);
    return 0;
}
