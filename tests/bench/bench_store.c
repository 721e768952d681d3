/* bench_store.c — throughput of the results DB: batched generation inserts (z = 196
 * float32, about a third invalid, molecules upserted in the same transaction) at several
 * batch sizes, molecule upserts, and the `top` view on the resulting DB.
 * usage: bench_store [N [DB]]   (default 100000 generations; DB: a new SQLite file under
 * /tmp, or a postgresql:// URI of an empty database, tests/bench/pg.sh) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/core/progress.h"
#include "chemvae/store/store.h"

#define ZDIM 196

static void die(const CvError *err) {
    fprintf(stderr, "bench_store: %s\n", err->msg);
    exit(1);
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 100000;
    char dir[] = "/tmp/cvbench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[512];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    if (argc > 2) snprintf(path, sizeof path, "%s", argv[2]);
    Store *s = NULL;
    CvError err = {0};
    if (cv_store_open(path, 0, &s, &err)) die(&err);
    int64_t run = 0;
    if (cv_store_run_begin(s, "sample", "{\"bench\":true}", NULL, NULL, 1, 0, &run, &err))
        die(&err);

    size_t maxb = 4096;
    StoreGeneration *g = calloc(maxb, sizeof *g);
    StoreMolecule *m = calloc(maxb, sizeof *m);
    char(*smi)[40] = calloc(maxb, sizeof *smi);
    float *z = calloc(maxb * ZDIM, sizeof *z);
    if (!g || !m || !smi || !z) return 1;

    printf("generation inserts, z = %d float32, 2/3 valid with a molecule upsert each\n", ZDIM);
    printf("%8s %10s %10s %12s\n", "batch", "rows", "seconds", "rows/s");
    const size_t batches[] = {1, 64, 1024, 4096};
    size_t base = 0;
    for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++) {
        size_t b = batches[bi], total = b == 1 ? (n < 5000 ? n : 5000) : n;
        double t0 = cv_now();
        for (size_t done = 0; done < total; done += b) {
            size_t k = total - done < b ? total - done : b;
            for (size_t i = 0; i < k; i++) {
                size_t id = base + done + i;
                int valid = id % 3 != 0;
                snprintf(smi[i], sizeof smi[i], "C%zuCO", id % 50000);
                for (size_t j = 0; j < ZDIM; j++) z[i * ZDIM + j] = (float)(id + j);
                m[i] = (StoreMolecule){smi[i], 100.0, 1.0, 0.5, 2.0, -1.0};
                g[i] = (StoreGeneration){.method = "sample",
                                         .step = (int64_t)id,
                                         .source = "prior",
                                         .raw_smiles = smi[i],
                                         .valid = valid,
                                         .molecule = valid ? &m[i] : NULL,
                                         .z = &z[i * ZDIM],
                                         .z_dim = ZDIM,
                                         .predicted = "{\"qed\":0.5,\"sa\":2.1,\"logp\":1.2}",
                                         .similarity = 0.5};
            }
            if (cv_store_insert_generations(s, run, g, k, NULL, &err)) die(&err);
        }
        double dt = cv_now() - t0;
        printf("%8zu %10zu %10.3f %12.0f\n", b, total, dt, (double)total / dt);
        base += total;
    }

    double t0 = cv_now();
    StoreTable t = {0};
    for (int rep = 0; rep < 10; rep++) {
        cv_store_table_free(&t);
        if (cv_store_top_molecules(s, "qed", 20, 0, 0, &t, &err)) die(&err);
    }
    printf("top --by qed -n 20 over %s molecules: %.2f ms\n", t.nrow ? "the stored" : "no",
           (cv_now() - t0) * 100.0);
    cv_store_table_free(&t);
    cv_store_close(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    free(g);
    free(m);
    free(smi);
    free(z);
    return system(cmd) == 0 ? 0 : 1;
}
