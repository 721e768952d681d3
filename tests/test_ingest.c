/* test_ingest.c — CSV ingest end to end (needs RDKit through the chem module):
 * the corrupted ZINC fixture (every good row kept, every bad row listed with its line and
 * kind, counts add up), MOSES-style / TSV / BOM+CRLF / custom delimiter / extra columns,
 * computed properties, --no-canonical, a given vocabulary (unknown token rejected or
 * <unk>), extra train-only files (--train-extra: split unchanged, gzip input), the error cases
 * (missing file, no SMILES column, zero usable rows, bad option values), and independence from the
 * thread count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/csvin.h"
#include "chemvae/data/dataset.h"
#include "chemvae/core/fileio.h"
#include "chemvae/data/ingest.h"

#define FIXTURE "tests/fixtures/zinc_corrupt.csv"

static char tmpdir[] = "/tmp/chemvae-ingest-XXXXXX";

static int setup(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static const char *write_tmp(const char *name, const char *data, size_t n) {
    const char *path = tmp_path(name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
    return path;
}

/* Reads a text file into lines (malloc'd array of malloc'd strings). */
static size_t read_lines(const char *path, char ***out) {
    char *data;
    size_t len, n = 0;
    CvError err;
    assert_int_equal(cv_read_file(path, &data, &len, &err), CV_OK);
    char **lines = malloc((len + 1) * sizeof *lines);
    for (char *p = data, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl);
        lines[n++] = strndup(p, (size_t)(nl - p));
    }
    free(data);
    *out = lines;
    return n;
}

static void free_lines(char **lines, size_t n) {
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

/* "line,kind" of every record of a reject CSV (4 fields each). */
typedef struct {
    char **line_kind;
    size_t n, cap;
} Rejects;

static int collect_reject(const CsvinRecord *r, void *user) {
    Rejects *rj = user;
    assert_null(r->error);
    assert_int_equal(r->nfields, 4);
    if (rj->n == rj->cap) {
        rj->cap = rj->cap ? 2 * rj->cap : 64;
        rj->line_kind = realloc(rj->line_kind, rj->cap * sizeof *rj->line_kind);
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s,%s", r->fields[0], r->fields[1]);
    rj->line_kind[rj->n++] = strdup(buf);
    return 0;
}

static void test_corrupt_fixture(void **state) {
    (void)state;
    IngestOptions o;
    cv_ingest_options_default(&o);
    o.reject_path = tmp_path("rejects.csv");
    o.threads = 2;
    CvDataset ds;
    IngestStats s;
    CvError err;
    assert_int_equal(cv_ingest_csv(FIXTURE, &o, &ds, &s, &err), CV_OK);
    assert_int_equal(s.rows, s.accepted + s.rejected + s.duplicates);

    /* every reject, by line and kind, exactly as expected; the reject file is valid CSV */
    char **want;
    size_t nwant = read_lines("tests/fixtures/zinc_corrupt.expected", &want);
    Rejects got = {0};
    assert_int_equal(cv_csvin_read_file(o.reject_path, NULL, collect_reject, &got, &err), CV_OK);
    assert_int_equal(got.n, nwant + 1);
    assert_string_equal(got.line_kind[0], "line,kind");
    size_t by_kind[INGEST_NKINDS] = {0};
    for (size_t i = 0; i < nwant; i++) {
        if (strcmp(got.line_kind[i + 1], want[i]) != 0)
            fail_msg("reject %zu: got '%s', want '%s'", i, got.line_kind[i + 1], want[i]);
        const char *kind = strchr(want[i], ',') + 1;
        for (int k = 0; k < INGEST_NKINDS; k++)
            if (!strcmp(kind, cv_ingest_reject_name((IngestReject)k))) by_kind[k]++;
    }
    free_lines(got.line_kind, got.n);
    assert_int_equal(s.rejected, nwant);
    for (int k = 0; k < INGEST_NKINDS; k++) assert_int_equal(s.by_kind[k], by_kind[k]);
    free_lines(want, nwant);
    /* the reject text is in the file too */
    char *rej;
    size_t rl;
    assert_int_equal(cv_read_file(o.reject_path, &rej, &rl, &err), CV_OK);
    assert_non_null(strstr(rej, "logP is not a finite number: 'abc'"));
    assert_non_null(strstr(rej, "\\x01\\x02\\xfe\\xffgarbage\\x00"));
    free(rej);

    /* every good row kept, in order, canonical (as Python RDKit writes it), deduplicated */
    char **good;
    size_t ngood = read_lines("tests/fixtures/zinc_corrupt.good", &good);
    assert_int_equal(ds.n, ngood);
    assert_int_equal(s.accepted, ngood);
    assert_int_equal(s.duplicates, 2);
    for (size_t i = 0; i < ngood; i++) assert_string_equal(dataset_smiles(&ds, i), good[i]);
    free_lines(good, ngood);
    /* properties read from the file, raw */
    assert_int_equal(ds.P, 3);
    assert_string_equal(ds.prop_names[0], "logP");
    assert_string_equal(ds.prop_names[2], "SAS");
    assert_true(fabsf(ds.props[0] - 3.4276f) < 1e-4f);
    assert_true(fabsf(ds.props[2] - 2.00627f) < 1e-4f);
    cv_dataset_free(&ds);
}

static void test_thread_count_independent(void **state) {
    (void)state;
    IngestOptions o;
    cv_ingest_options_default(&o);
    CvDataset a, b;
    CvError err;
    o.threads = 1;
    assert_int_equal(cv_ingest_csv(FIXTURE, &o, &a, NULL, &err), CV_OK);
    o.threads = 3;
    assert_int_equal(cv_ingest_csv(FIXTURE, &o, &b, NULL, &err), CV_OK);
    assert_int_equal(a.blob_size, b.blob_size);
    assert_memory_equal(a.blob, b.blob, a.blob_size);
    cv_dataset_free(&a);
    cv_dataset_free(&b);
}

static void test_formats(void **state) {
    (void)state;
    CvError err;
    CvDataset ds;
    IngestStats s;
    IngestOptions o;
    /* MOSES style: SMILES only; logP, qed, SA computed with RDKit */
    static const char moses[] = "SMILES\nCCO\nc1ccccc1O\nOCC\nnot_a_smiles\n";
    cv_ingest_options_default(&o);
    assert_int_equal(
        cv_ingest_csv(write_tmp("moses.csv", moses, sizeof moses - 1), &o, &ds, &s, &err), CV_OK);
    assert_int_equal(s.rows, 4);
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.by_kind[INGEST_BAD_SMILES], 1);
    assert_int_equal(s.P_computed, 3);
    assert_string_equal(ds.prop_names[0], "logP");
    assert_string_equal(ds.prop_names[1], "qed");
    assert_string_equal(ds.prop_names[2], "SAS");
    ChemScores sc;
    assert_int_equal(cv_chem_score_smiles("c1ccccc1O", &sc, NULL), 1);
    assert_true(fabsf(ds.props[1 * 3 + 0] - (float)sc.logp) < 1e-5f);
    assert_true(fabsf(ds.props[1 * 3 + 1] - (float)sc.qed) < 1e-5f);
    assert_true(fabsf(ds.props[1 * 3 + 2] - (float)sc.sa) < 1e-5f);
    cv_dataset_free(&ds);

    /* TSV with BOM and CRLF, extra columns, SMILES not first, properties by name */
    static const char tsv[] = "\xef\xbb\xbfid\tSmiles\tMW\tlogp\r\n1\tCCO\t46.07\t-0.0014\r\n"
                              "2\tCCN\t45.08\t-0.03\r\n";
    cv_ingest_options_default(&o);
    o.props = "MW";
    assert_int_equal(cv_ingest_csv(write_tmp("x.tsv", tsv, sizeof tsv - 1), &o, &ds, &s, &err),
                     CV_OK);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.P, 1); /* --props given: nothing computed by default */
    assert_string_equal(ds.prop_names[0], "MW");
    assert_true(fabsf(ds.props[1] - 45.08f) < 1e-4f);
    cv_dataset_free(&ds);

    /* custom delimiter, named SMILES column, --no-canonical, computed mw only */
    static const char semi[] = "name;mol\nethanol;OCC\nbenzene;c1ccccc1\n";
    cv_ingest_options_default(&o);
    o.delim = ';';
    o.smiles_col = "MOL";
    o.no_canonical = 1;
    o.compute = "mw";
    assert_int_equal(cv_ingest_csv(write_tmp("semi.csv", semi, sizeof semi - 1), &o, &ds, &s, &err),
                     CV_OK);
    assert_string_equal(dataset_smiles(&ds, 0), "OCC");
    assert_int_equal(ds.P, 1);
    assert_string_equal(ds.prop_names[0], "MW");
    assert_true(fabsf(ds.props[0] - 46.069f) < 1e-2f);
    cv_dataset_free(&ds);
}

static void test_split_column(void **state) {
    (void)state;
    static const char csv[] = "SMILES,SPLIT\nCCO,train\nCCN,test\nCCC,Valid\nCCCl,test_scaffolds\n"
                              "CCBr,holdout\nCCF,TRAIN\n";
    IngestOptions o;
    cv_ingest_options_default(&o);
    o.split_col = "split";
    o.compute = "";
    CvDataset ds;
    IngestStats s;
    CvError err;
    assert_int_equal(cv_ingest_csv(write_tmp("split.csv", csv, sizeof csv - 1), &o, &ds, &s, &err),
                     CV_OK);
    assert_int_equal(s.by_kind[INGEST_BAD_SPLIT], 1);
    assert_int_equal(ds.n, 5);
    const uint8_t want[] = {CV_SPLIT_TRAIN, CV_SPLIT_TEST, CV_SPLIT_VALID, CV_SPLIT_TEST,
                            CV_SPLIT_TRAIN};
    assert_memory_equal(ds.split, want, 5);
    assert_int_equal(ds.count[CV_SPLIT_TRAIN], 2);
    assert_int_equal(ds.count[CV_SPLIT_TEST], 2);
    assert_true(fabs(ds.ratios[CV_SPLIT_TRAIN] - 0.4) < 1e-12);
    cv_dataset_free(&ds);
    o.split_col = "fold";
    assert_int_equal(cv_ingest_csv(write_tmp("split.csv", csv, sizeof csv - 1), &o, &ds, &s, &err),
                     CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "no split column 'fold'"));
}

/* --train-extra: the input alone decides valid/test (the same split as ingesting it alone),
 * extra rows are all train, a molecule already in the input is a duplicate (even spelled
 * differently), extra files are read by property name (an alias counts) and may be gzip. */
static void test_train_extra(void **state) {
    (void)state;
    static const char input[] = "smiles,logP\nCCO,1\nCCN,2\nCCC,3\nCCCl,4\nCCBr,5\nCCF,6\n"
                                "CCCO,7\nCCCN,8\nCCCC,9\nCCCF,10\n";
    static const char extra[] = "id,SMILES,LOGP\n1,OCC,11\n2,c1ccccc1,12\n3,C1CC,13\n4,CCS,14\n";
    const char *in = write_tmp("in.csv", input, sizeof input - 1);
    const char *ex = write_tmp("extra.csv", extra, sizeof extra - 1);
    IngestOptions o;
    cv_ingest_options_default(&o);
    o.compute = "";
    o.ds.ratios[0] = 0.4, o.ds.ratios[1] = 0.3, o.ds.ratios[2] = 0.3;
    CvDataset alone, both;
    IngestStats s;
    CvError err;
    assert_int_equal(cv_ingest_csv(in, &o, &alone, &s, &err), CV_OK);
    char gzcmd[1200];
    snprintf(gzcmd, sizeof gzcmd, "gzip -c '%s' > '%s.gz'", ex, ex);
    assert_int_equal(system(gzcmd), 0);
    char exgz[600];
    snprintf(exgz, sizeof exgz, "%s.gz", ex);
    const char *files[] = {exgz};
    o.train_files = files;
    o.n_train_files = 1;
    o.reject_path = tmp_path("extra.rejects.csv");
    assert_int_equal(cv_ingest_csv(in, &o, &both, &s, &err), CV_OK);
    assert_int_equal(s.rows, 14);
    assert_int_equal(s.duplicates, 1); /* OCC is CCO */
    assert_int_equal(s.rejected, 1);   /* C1CC */
    assert_int_equal(s.train_extra, 2);
    assert_int_equal(both.n, 12);
    assert_memory_equal(both.split, alone.split, 10);
    assert_int_equal(both.split[10], CV_SPLIT_TRAIN);
    assert_int_equal(both.split[11], CV_SPLIT_TRAIN);
    assert_int_equal(both.count[CV_SPLIT_TRAIN], alone.count[CV_SPLIT_TRAIN] + 2);
    assert_int_equal(both.count[CV_SPLIT_TEST], alone.count[CV_SPLIT_TEST]);
    assert_string_equal(dataset_smiles(&both, 10), "c1ccccc1");
    char *rej;
    size_t n;
    assert_int_equal(cv_read_file(o.reject_path, &rej, &n, &err), CV_OK);
    assert_non_null(strstr(rej, "4,invalid_smiles,"));
    assert_non_null(strstr(rej, "extra.csv.gz: "));
    free(rej);
    cv_dataset_free(&alone);
    cv_dataset_free(&both);

    static const char noprop[] = "smiles,qed\nCCS,0.5\n";
    files[0] = write_tmp("noprop.csv", noprop, sizeof noprop - 1);
    assert_int_equal(cv_ingest_csv(in, &o, &both, &s, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "noprop.csv:1: no property column 'logP'"));
    static const char bad_in[] = "smiles,logP\nC1CC,1\n";
    files[0] = ex;
    assert_int_equal(
        cv_ingest_csv(write_tmp("bad_in.csv", bad_in, sizeof bad_in - 1), &o, &both, &s, &err),
        CV_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "bad_in.csv: no usable rows"));
}

static void test_given_vocab(void **state) {
    (void)state;
    static const char csv[] = "smiles\nCCO\nCCCl\nCCBr\n";
    const char *path = write_tmp("v.csv", csv, sizeof csv - 1);
    CvVocab v;
    CvError err;
    const char *train[] = {"CCO", "CCCl"};
    assert_int_equal(cv_vocab_build(&v, train, 2, &err), CV_OK);
    IngestOptions o;
    cv_ingest_options_default(&o);
    o.vocab = &v;
    o.compute = "";
    o.reject_path = tmp_path("v.rejects.csv");
    CvDataset ds;
    IngestStats s;
    assert_int_equal(cv_ingest_csv(path, &o, &ds, &s, &err), CV_OK);
    assert_int_equal(s.by_kind[INGEST_UNKNOWN_TOKEN], 1);
    assert_int_equal(ds.n, 2);
    assert_true(ds.vocab_hash == cv_vocab_hash(&v));
    cv_dataset_free(&ds);
    char *rej;
    size_t n;
    assert_int_equal(cv_read_file(o.reject_path, &rej, &n, &err), CV_OK);
    assert_non_null(strstr(rej, "4,unknown_token,token 'Br' of 'CCBr' is not in the vocabulary"));
    free(rej);
    o.unk_ok = 1;
    assert_int_equal(cv_ingest_csv(path, &o, &ds, &s, &err), CV_OK);
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.unk_rows, 1);
    cv_dataset_free(&ds);
    cv_vocab_free(&v);
}

static void test_errors(void **state) {
    (void)state;
    IngestOptions o;
    cv_ingest_options_default(&o);
    CvDataset ds;
    IngestStats s;
    CvError err;
    assert_int_equal(cv_ingest_csv("/nonexistent/in.csv", &o, &ds, &s, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/in.csv"));

    static const char nocol[] = "mol,logP\nCCO,1\n";
    assert_int_equal(
        cv_ingest_csv(write_tmp("nocol.csv", nocol, sizeof nocol - 1), &o, &ds, &s, &err),
        CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "no column named 'smiles'"));
    assert_non_null(strstr(err.msg, "mol, logP"));

    static const char allbad[] = "smiles,logP\nC1CC,1\nXX,2\nCCO,abc\n";
    const char *bad = write_tmp("allbad.csv", allbad, sizeof allbad - 1);
    assert_int_equal(cv_ingest_csv(bad, &o, &ds, &s, &err), CV_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "no usable rows: 3 rows, 3 rejected"));
    assert_int_equal(s.rows, 3);

    assert_int_equal(cv_ingest_csv(write_tmp("empty.csv", "", 0), &o, &ds, &s, &err), CV_ERR_EMPTY);
    assert_int_equal(cv_ingest_csv(write_tmp("hdr.csv", "smiles\n", 7), &o, &ds, &s, &err),
                     CV_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "no data rows"));

    o.compute = "logp,bogus";
    assert_int_equal(cv_ingest_csv(bad, &o, &ds, &s, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "'bogus'"));
    o.compute = NULL;
    o.props = "logP,qed";
    assert_int_equal(cv_ingest_csv(bad, &o, &ds, &s, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "no property column 'qed'"));
    o.props = NULL;
    o.reject_path = tmp_path("moses.csv/r.csv"); /* parent is a file */
    assert_int_equal(cv_ingest_csv(FIXTURE, &o, &ds, &s, &err), CV_ERR_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corrupt_fixture), cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_formats),         cmocka_unit_test(test_given_vocab),
        cmocka_unit_test(test_split_column),    cmocka_unit_test(test_train_extra),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
