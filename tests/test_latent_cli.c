/* test_latent_cli.c — `chemvae sample`, `optimize` and `interpolate` end to end: runs
 * $BUILD/chemvae (BUILD from the environment, default "build") with a tiny checkpoint of
 * seeded random weights (written here through cv_ckpt_save: a 3-atom vocabulary, so many
 * decodes are valid molecules and many are not) and checks that what the commands print
 * matches what they stored: one runs row with its config, model hash and seed, every
 * decode in generations, the printed molecules in molecules; usage errors exit 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chemvae/model/checkpoint.h"
#include "chemvae/store/store.h"
#include "chemvae/core/version.h"

static char g_dir[64], g_db[128], g_model[128], g_bin[256];

/* Runs `chemvae ARGS` (already shell-quoted) and returns the exit code; *out (NULL-able)
 * receives the malloc'd stdout. stderr is discarded. */
static int run(const char *args, char **out) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", g_bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    int status = pclose(p);
    if (out) *out = buf;
    else free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One integer from a read-only query of the test DB. */
static long long db_int(const char *sql) {
    Store *s = NULL;
    CvError err = {0};
    StoreTable t = {0};
    if (cv_store_open(g_db, STORE_READ_ONLY, &s, &err) ||
        cv_store_select(s, sql, NULL, 0, &t, &err))
        fail_msg("%s: %s", sql, err.msg);
    assert_int_equal(t.nrow, 1);
    long long v = t.cells[0].type == STORE_INT ? (long long)t.cells[0].i : -1;
    cv_store_table_free(&t);
    cv_store_close(s);
    return v;
}

static int setup(void **state) {
    (void)state;
    const char *build = getenv("BUILD");
    snprintf(g_bin, sizeof g_bin, "%s/chemvae", build && *build ? build : "build");
    snprintf(g_dir, sizeof g_dir, "/tmp/cvlatent-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_db, sizeof g_db, "%s/results.db", g_dir);
    snprintf(g_model, sizeof g_model, "%s/tiny.cvae", g_dir);
    static const char *const smiles[] = {"CCO", "C1CC1", "CC(N)O"};
    CvError err = {0};
    CvVocab vocab = {0};
    Vae vae = {0};
    CkptMeta meta;
    memset(&meta, 0, sizeof meta);
    VaeConfig cfg;
    CvRng rng;
    cv_rng_init(&rng, 5);
    int bad = cv_vocab_build(&vocab, smiles, 3, &err) ||
              cv_vae_config_preset("tiny", 12, (int)vocab.n, 2, &cfg, &err) ||
              cv_vae_init(&vae, &cfg, 8, &rng, &err);
    if (!bad) {
        meta.cfg = cfg;
        meta.P = 2;
        snprintf(meta.prop_names[0], CKPT_NAME_MAX, "logP");
        snprintf(meta.prop_names[1], CKPT_NAME_MAX, "qed");
        meta.prop_mean[0] = 2.5, meta.prop_std[0] = 1.4;
        meta.prop_mean[1] = 0.7, meta.prop_std[1] = 0.1;
        bad =
            cv_ckpt_meta_set_vocab(&meta, (const char *const *)vocab.tokens, (int)vocab.n, &err) ||
            cv_ckpt_save(g_model, &vae, &meta, 0, &err);
    }
    if (bad) fprintf(stderr, "fixture: %s\n", err.msg);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
    cv_vocab_free(&vocab);
    return bad ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Data lines of a CSV output (header excluded); *sum_col receives the sum of the integer
 * column `col` (0-based) when col >= 0. */
static size_t csv_rows(const char *out, int col, long *sum_col) {
    size_t rows = 0;
    *sum_col = 0;
    const char *line = strchr(out, '\n');
    while (line && line[1]) {
        line++;
        rows++;
        if (col >= 0) {
            const char *f = line;
            for (int k = 0; k < col && f; k++) f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
            assert_non_null(f);
            *sum_col += strtol(f, NULL, 10);
        }
        line = strchr(line, '\n');
    }
    return rows;
}

static void test_sample_counts_match_db(void **state) {
    (void)state;
    char args[1024], *out;
    snprintf(args, sizeof args,
             "sample --model '%s' --db '%s' -n 40 --attempts 2 --retry-temperature 2 --seed 3",
             g_model, g_db);
    assert_int_equal(run(args, &out), 0);
    assert_non_null(strstr(out, "smiles,count,first_index,mw,logp,qed,sa,penalized_logp\n"));
    long valid;
    size_t rows = csv_rows(out, 1, &valid);
    assert_true(rows > 0);
    long long run_id = db_int("SELECT max(id) FROM runs WHERE kind = 'sample'");
    char q[512];
    snprintf(q, sizeof q, "SELECT count(*) FROM generations WHERE run_id = %lld", run_id);
    assert_int_equal(db_int(q), 80);
    snprintf(q, sizeof q, "SELECT sum(valid) FROM generations WHERE run_id = %lld", run_id);
    assert_int_equal(db_int(q), valid);
    snprintf(q, sizeof q, "SELECT count(DISTINCT molecule_id) FROM generations WHERE run_id = %lld",
             run_id);
    assert_int_equal(db_int(q), (long long)rows);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM generations WHERE run_id = %lld AND length(z) = 4 * 6 AND "
             "source = 'prior' "
             "AND json_extract(predicted, '$.logP') IS NOT NULL AND (valid = 1) = (molecule_id IS "
             "NOT NULL)",
             run_id);
    assert_int_equal(db_int(q), 80);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM runs WHERE id = %lld AND status = 'ok' AND seed = 3 AND "
             "model_hash IS NOT NULL "
             "AND json_extract(config, '$.n') = 40 AND json_extract(config, '$.attempts') = 2",
             run_id);
    assert_int_equal(db_int(q), 1);
    snprintf(
        q, sizeof q,
        "SELECT CAST(value AS INTEGER) FROM eval_metrics WHERE run_id = %lld AND name = 'valid'",
        run_id);
    assert_int_equal(db_int(q), valid);
    /* the printed first molecule is stored with its scores */
    char first[256];
    const char *l = strchr(out, '\n') + 1;
    size_t n = (size_t)(strchr(l, ',') - l);
    memcpy(first, l, n);
    first[n] = '\0';
    snprintf(q, sizeof q, "SELECT count(*) FROM molecules WHERE smiles = '%s' AND qed IS NOT NULL",
             first);
    assert_int_equal(db_int(q), 1);
    free(out);
    /* the same seed prints the same molecules */
    char *again;
    assert_int_equal(run(args, &again), 0);
    char *out2;
    snprintf(args, sizeof args,
             "sample --model '%s' --no-db -n 40 --attempts 2 --retry-temperature 2 --seed 3",
             g_model);
    assert_int_equal(run(args, &out2), 0);
    assert_string_equal(again, out2);
    free(again);
    free(out2);
}

static void test_optimize_records_every_decode(void **state) {
    (void)state;
    char args[1024], *out;
    snprintf(args, sizeof args,
             "optimize --model '%s' --db '%s' --start OCC --objective 'logp+qed' --steps 4 "
             "--decode-every 2 "
             "--decodes 2 --constrained 0.4",
             g_model, g_db);
    assert_int_equal(run(args, &out), 0);
    long dummy;
    assert_int_equal(csv_rows(out, -1, &dummy), 1);
    assert_non_null(strstr(out, "\n0,CCO,"));
    long long run_id = db_int("SELECT max(id) FROM runs WHERE kind = 'optimize'");
    char q[512];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM generations WHERE run_id = %lld AND method = 'optimize' AND "
             "source = 'CCO' "
             "AND step IN (0, 2, 4) AND json_extract(predicted, '$.objective') IS NOT NULL",
             run_id);
    assert_int_equal(db_int(q), 3 * 2);
    snprintf(
        q, sizeof q,
        "SELECT count(*) FROM generations WHERE run_id = %lld AND valid = 1 AND similarity IS NULL",
        run_id);
    assert_int_equal(db_int(q), 0);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM eval_metrics WHERE run_id = %lld AND name IN "
             "('mean_improvement', 'success_rate', 'decodes')",
             run_id);
    assert_int_equal(db_int(q), 3);
    free(out);
}

static void test_optimize_starts_file(void **state) {
    (void)state;
    /* ZINC-style quoting (newline inside the quotes), an invalid SMILES (skipped with a
     * message), --limit counting rows read, random starts added */
    char path[160], args[1024], *out;
    snprintf(path, sizeof path, "%s/starts.csv", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("score,smiles\n1,\"OCC\n\"\n2,C(\n3,CCN\n4,CCCC\n", f);
    fclose(f);
    snprintf(args, sizeof args,
             "optimize --model '%s' --no-db --starts '%s' --limit 3 --random 2 --objective qed "
             "--steps 2",
             g_model, path);
    assert_int_equal(run(args, &out), 0);
    long dummy;
    assert_int_equal(csv_rows(out, -1, &dummy), 4);
    assert_non_null(strstr(out, "\n0,CCO,"));
    assert_non_null(strstr(out, "\n1,CCN,"));
    assert_non_null(strstr(out, "\n2,,,"));
    assert_null(strstr(out, "CCCC"));
    free(out);
}

static void test_interpolate_counts_match_db(void **state) {
    (void)state;
    char args[1024], *out;
    snprintf(args, sizeof args,
             "interpolate --model '%s' --db '%s' --from CCO --to CC1CC1 --steps 4 --decodes 2 "
             "--method linear",
             g_model, g_db);
    assert_int_equal(run(args, &out), 0);
    long dummy;
    size_t rows = csv_rows(out, -1, &dummy);
    long long run_id = db_int("SELECT max(id) FROM runs WHERE kind = 'interpolate'");
    char q[512];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM generations WHERE run_id = %lld AND source = 'CCO>>CC1CC1'",
             run_id);
    assert_int_equal(db_int(q), 5 * 2);
    snprintf(q, sizeof q, "SELECT count(DISTINCT molecule_id) FROM generations WHERE run_id = %lld",
             run_id);
    assert_int_equal(db_int(q), (long long)rows);
    free(out);
}

/* The decoding mask and the beam: recorded in the run's config; every invalid decode has a
 * failure class and the fail_* metrics add up to them; the mask does not lower validity. */
static void test_sample_constrain_and_beam(void **state) {
    (void)state;
    char args[1024], q[512];
    long long valid[5];
    const char *modes[5] = {"--constrain none --rescue 1", "--constrain valence --rescue 1",
                            "--beam 3", "--rescue 3", ""};
    const int rescue[5] = {1, 1, 20, 3, 20}; /* 20: the default */
    for (int i = 0; i < 5; i++) {
        snprintf(args, sizeof args, "sample --model '%s' --db '%s' -n 60 --seed 5 %s >/dev/null",
                 g_model, g_db, modes[i]);
        assert_int_equal(run(args, NULL), 0);
        long long run_id = db_int("SELECT max(id) FROM runs WHERE kind = 'sample'");
        snprintf(q, sizeof q, "SELECT sum(valid) FROM generations WHERE run_id = %lld", run_id);
        valid[i] = db_int(q);
        snprintf(q, sizeof q,
                 "SELECT count(*) FROM generations WHERE run_id = %lld AND (valid = 0) = (failure "
                 "IS NOT NULL)",
                 run_id);
        assert_int_equal(db_int(q), 60);
        snprintf(q, sizeof q,
                 "SELECT CAST(sum(value) AS INTEGER) FROM eval_metrics WHERE run_id = %lld AND "
                 "name LIKE 'fail_%%'",
                 run_id);
        assert_int_equal(db_int(q), 60 - valid[i]);
        snprintf(
            q, sizeof q,
            "SELECT count(*) FROM runs WHERE id = %lld AND json_extract(config, '$.constrain') = "
            "'%s' "
            "AND json_extract(config, '$.beam') = %d AND json_extract(config, '$.rescue') = %d",
            run_id, i == 0 ? "none" : "valence", i == 2 ? 3 : 1, rescue[i]);
        assert_int_equal(db_int(q), 1);
    }
    assert_true(valid[1] >= valid[0]);
    assert_true(valid[2] >= valid[0]);
    assert_true(valid[3] >= valid[1]); /* rescue only replaces invalid greedy decodes */
    assert_true(valid[4] >= valid[1]);
}

/* `chemvae --version` names the version and the commit; every run's config and every
 * checkpoint written record them too. */
static void test_version_recorded(void **state) {
    (void)state;
    char *out = NULL, args[1024], q[512];
    assert_int_equal(run("--version", &out), 0);
    char want[64];
    snprintf(want, sizeof want, "chemvae %s (commit %s)", CHEMVAE_VERSION_STRING, cv_git_commit());
    assert_non_null(strstr(out, want));
    free(out);
    snprintf(args, sizeof args, "sample --model '%s' --db '%s' -n 3 --seed 2 >/dev/null", g_model,
             g_db);
    assert_int_equal(run(args, NULL), 0);
    snprintf(
        q, sizeof q,
        "SELECT count(*) FROM runs WHERE id = (SELECT max(id) FROM runs) "
        "AND json_extract(config, '$.chemvae_version') = '%s' "
        "AND json_extract(config, '$.chemvae_commit') = '%s' AND json_extract(config, '$.n') = 3",
        CHEMVAE_VERSION_STRING, cv_git_commit());
    assert_int_equal(db_int(q), 1);
    CkptMeta meta;
    assert_int_equal(cv_ckpt_read_meta(g_model, &meta, NULL), CV_OK);
    snprintf(want, sizeof want, "chemvae %s %s", CHEMVAE_VERSION_STRING, cv_git_commit());
    assert_string_equal(meta.written_by, want);
    cv_ckpt_meta_free(&meta);
}

static void test_usage_errors(void **state) {
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "sample --model '%s' --no-db -n 0", g_model);
    assert_int_equal(run(args, NULL), 2);
    snprintf(args, sizeof args, "sample --model '%s' --no-db --radius 2", g_model);
    assert_int_equal(run(args, NULL), 2);
    snprintf(args, sizeof args, "optimize --model '%s' --no-db", g_model);
    assert_int_equal(run(args, NULL), 2);
    snprintf(args, sizeof args, "optimize --model '%s' --no-db --start CCO --objective 'qed*sa'",
             g_model);
    assert_int_equal(run(args, NULL), 2);
    snprintf(args, sizeof args, "optimize --model '%s' --no-db --start CCO --objective sa",
             g_model);
    assert_int_equal(run(args, NULL), 1); /* the head does not predict SA */
    snprintf(args, sizeof args, "optimize --model '%s' --no-db --start 'C(' --objective qed",
             g_model);
    assert_int_equal(run(args, NULL), 1);
    snprintf(args, sizeof args, "interpolate --model '%s' --no-db --from CCO", g_model);
    assert_int_equal(run(args, NULL), 2);
    assert_int_equal(run("sample --model /nonexistent.cvae --no-db", NULL), 1);
    snprintf(args, sizeof args, "sample --model '%s' --no-db --constrain bogus", g_model);
    assert_int_equal(run(args, NULL), 2);
    snprintf(args, sizeof args, "sample --model '%s' --no-db --beam 0", g_model);
    assert_int_equal(run(args, NULL), 2);
    snprintf(args, sizeof args, "sample --model '%s' --no-db --rescue 0", g_model);
    assert_int_equal(run(args, NULL), 2);
    char *out;
    assert_int_equal(run("optimize --help", &out), 0);
    assert_non_null(strstr(out, "usage: chemvae optimize"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_counts_match_db),
        cmocka_unit_test(test_optimize_records_every_decode),
        cmocka_unit_test(test_optimize_starts_file),
        cmocka_unit_test(test_interpolate_counts_match_db),
        cmocka_unit_test(test_sample_constrain_and_beam),
        cmocka_unit_test(test_version_recorded),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
