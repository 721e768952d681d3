/* fuzz_query.c — libFuzzer target for `chemvae query`'s read-only guarantee. The input is
 * one SQL text run through cv_store_select_each on a STORE_READ_ONLY connection to a small
 * results DB (made once per process under /tmp), its rows streamed to /dev/null as CSV or
 * JSON (first byte). Invariants: no crash or leak; the connection never changes a row
 * (sqlite3_total_changes stays 0); every 64 inputs, the DB file's hash is unchanged and no
 * other file appeared next to it (ATTACH, VACUUM INTO). A progress handler and a length
 * limit stop runaway queries (recursive CTEs, zeroblob) so each input stays fast. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/store/store_internal.h"
#include "chemvae/core/fileio.h"
#include "chemvae/store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[64], g_db[96], g_hash[17];
static Store *g_ro;
static FILE *g_null;
static unsigned long g_inputs;

static int stop_runaway(void *ctx) {
    unsigned *ticks = ctx;
    return ++*ticks > 2000; /* 2000 * 1000 VM steps */
}

static size_t count_files(void) {
    DIR *d = opendir(g_dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !strstr(e->d_name, "-wal") &&
            !strstr(e->d_name, "-shm"))
            n++;
    if (d) closedir(d);
    return n;
}

/* libFuzzer exit()s at the end of a run: remove the DB and its directory then. */
static void cleanup(void) {
    cv_store_close(g_ro);
    if (g_null) fclose(g_null);
    const char *suffix[] = {"", "-wal", "-shm"};
    char path[128];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", g_db, suffix[i]);
        unlink(path);
    }
    rmdir(g_dir);
}

static void setup(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/cvfuzz-query-XXXXXX");
    if (!mkdtemp(g_dir)) abort();
    snprintf(g_db, sizeof g_db, "%s/results.db", g_dir);
    Store *s = NULL;
    int64_t run = 0;
    StoreMolecule m[2] = {{"CCO", 46.069, -0.0014, 0.4068, 1.98, -1.98},
                          {"c1ccccc1O", 94.113, 1.3922, 0.5147, 1.18, NAN}};
    float z[3] = {0.5f, -1.0f, 2.0f};
    StoreGeneration g[3] = {
        {.method = "sample",
         .raw_smiles = "OCC",
         .valid = 1,
         .molecule = &m[0],
         .z = z,
         .z_dim = 3,
         .predicted = "{\"qed\":0.4}",
         .similarity = NAN},
        {.method = "optimize",
         .step = 4,
         .source = "CCO",
         .raw_smiles = "Oc1ccccc1",
         .valid = 1,
         .molecule = &m[1],
         .similarity = 0.3},
        {.method = "sample", .step = 1, .raw_smiles = "C(C", .valid = 0, .similarity = NAN},
    };
    StoreTrainingMetric tm = {0, 1, "train", 1.5, 1.0, 0.5, 0.1, 0.0, 1e-3, 0.5, NULL};
    if (cv_store_open(g_db, 0, &s, NULL) ||
        cv_store_run_begin(s, "sample", "{\"n\":3}", NULL, NULL, 1, 0, &run, NULL) ||
        cv_store_insert_generations(s, run, g, 3, NULL, NULL) ||
        cv_store_insert_training_metrics(s, run, &tm, 1, NULL) ||
        cv_store_insert_eval_metric(s, run, "validity", 0.66, NULL))
        abort();
    cv_store_close(s);
    if (cv_hash_file(g_db, g_hash, NULL) || cv_store_open(g_db, STORE_READ_ONLY, &g_ro, NULL))
        abort();
    sqlite3_limit(g_ro->db, SQLITE_LIMIT_LENGTH, 100000);
    g_null = fopen("/dev/null", "w");
    if (!g_null) abort();
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_ro) setup();
    if (size < 1) return 0;
    char *sql = malloc(size);
    if (!sql) return 0;
    memcpy(sql, data + 1, size - 1);
    sql[size - 1] = '\0';
    unsigned ticks = 0;
    sqlite3_progress_handler(g_ro->db, 1000, stop_runaway, &ticks);
    StorePrinter p;
    cv_store_printer_init(&p, g_null, data[0] & 1 ? STORE_FORMAT_JSON : STORE_FORMAT_CSV);
    cv_store_select_each(g_ro, sql, NULL, 0, cv_store_printer_row, &p, NULL);
    cv_store_printer_end(&p, NULL);
    clearerr(g_null);
    free(sql);
    if (sqlite3_total_changes(g_ro->db) != 0) abort();
    if (++g_inputs % 64 == 0) {
        char hash[17];
        if (cv_hash_file(g_db, hash, NULL) || strcmp(hash, g_hash) || count_files() != 1) abort();
    }
    return 0;
}
