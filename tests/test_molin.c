/* test_molin.c — the molecule-file reader: SMILES files (names with spaces, a ZINC header,
 * comments, blank lines, CRLF, a BOM, no final line end), SDF (V2000 and V3000 records, data
 * items with multi-line values, a record without "M  END" reported and the next one kept,
 * a last record without "$$$$", trailing blank lines, bare CR line ends), records longer
 * than the limit and NUL bytes as error records, independence from how the input is cut,
 * gzip input, the format names and extensions; and RDKit reading a record's molblock to the
 * same canonical SMILES as the molecule's SMILES, and cv_chem_mol_from_text reading a
 * record's text by its kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "chemvae/chem/chem.h"
#include "chemvae/data/molin.h"

/* Every record serialized as "number:line|name|mol|tag=value;...|error\n". */
typedef struct {
    char *s;
    size_t len;
} Log;

/* Appends s[0..n), its line ends as '/' when `slash`. */
static void log_add(Log *l, const char *s, size_t n, int slash) {
    l->s = realloc(l->s, l->len + n + 1);
    assert_non_null(l->s);
    for (size_t i = 0; i < n; i++) l->s[l->len++] = slash && s[i] == '\n' ? '/' : s[i];
    l->s[l->len] = '\0';
}

static void log_str(Log *l, const char *s) {
    log_add(l, s, strlen(s), 1);
}

static int log_record(const MolinRecord *r, void *user) {
    Log *l = user;
    char head[64];
    snprintf(head, sizeof head, "%zu:%zu|", r->number, r->line);
    log_str(l, head);
    log_str(l, r->name);
    log_str(l, "|");
    assert_int_equal(strlen(r->mol), r->mol_len);
    log_add(l, r->mol, r->mol_len, 1);
    log_str(l, "|");
    for (size_t i = 0; i < r->nitems; i++) {
        log_str(l, r->tags[i]);
        log_str(l, "=");
        log_str(l, r->values[i]);
        log_str(l, ";");
    }
    log_str(l, "|");
    log_str(l, r->error ? r->error : "");
    log_add(l, "\n", 1, 0);
    return 0;
}

/* Reads data[0..n) in chunks of `chunk` bytes; the log, malloc'd. */
static char *parse(MolinFormat f, const char *data, size_t n, size_t chunk, size_t max) {
    Log l = {0};
    Molin *r;
    MolinOptions o = {f, max};
    assert_int_equal(cv_molin_open(&r, &o, log_record, &l, NULL), CV_OK);
    for (size_t i = 0; i < n; i += chunk)
        assert_int_equal(cv_molin_feed(r, data + i, n - i < chunk ? n - i : chunk, NULL), CV_OK);
    assert_int_equal(cv_molin_finish(r, NULL), CV_OK);
    cv_molin_close(r);
    log_str(&l, "");
    return l.s;
}

/* The log of data, the same whatever the chunk size. */
static char *parse_all_ways(MolinFormat f, const char *data, size_t n, size_t max) {
    char *whole = parse(f, data, n, n ? n : 1, max);
    for (size_t chunk = 1; chunk <= 7; chunk++) {
        char *cut = parse(f, data, n, chunk, max);
        assert_string_equal(cut, whole);
        free(cut);
    }
    return whole;
}

static void test_smiles_file(void **state) {
    (void)state;
    const char data[] = "\xef\xbb\xbfsmiles zinc_id\r\n"
                        "CCO ethanol\r\n"
                        "\r\n"
                        "# a comment\n"
                        "  c1ccccc1\tbenzene ring  \n"
                        "C1CC not a molecule, named anyway\n"
                        "CC(=O)O";
    char *log = parse_all_ways(MOLIN_SMI, data, sizeof data - 1, 0);
    assert_string_equal(log, "1:2|ethanol|CCO||\n"
                             "2:5|benzene ring|c1ccccc1||\n"
                             "3:6|not a molecule, named anyway|C1CC||\n"
                             "4:7||CC(=O)O||\n");
    free(log);
    /* "smiles" only counts as a header on the first line */
    log = parse(MOLIN_SMI, "CC\nsmiles x\n", 11, 11, 0);
    assert_string_equal(log, "1:1||CC||\n2:2|x|smiles||\n");
    free(log);
}

static void test_smiles_errors(void **state) {
    (void)state;
    const char data[] = "CCO a\nCCCCCCCCCCCCCCCCCCCC long\nC\0C nul\nCCN b\n";
    char *log = parse_all_ways(MOLIN_SMI, data, sizeof data - 1, 16);
    assert_string_equal(log, "1:1|a|CCO||\n"
                             "2:2||||line longer than the limit\n"
                             "3:3|nul|||a NUL byte in the line\n"
                             "4:4|b|CCN||\n");
    free(log);
}

#define ETHANOL_V2000                                                                              \
    "\n     RDKit          2D\n\n"                                                                 \
    "  3  2  0  0  0  0  0  0  0  0999 V2000\n"                                                    \
    "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"                      \
    "    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"                      \
    "    2.5981   -0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\n"                      \
    "  1  2  1  0\n"                                                                               \
    "  2  3  1  0\n"                                                                               \
    "M  END\n"

#define ACETATE_V3000                                                                              \
    "\n     RDKit          2D\n\n"                                                                 \
    "  0  0  0  0  0  0  0  0  0  0999 V3000\n"                                                    \
    "M  V30 BEGIN CTAB\n"                                                                          \
    "M  V30 COUNTS 4 3 0 0 0\n"                                                                    \
    "M  V30 BEGIN ATOM\n"                                                                          \
    "M  V30 1 C 0 0 0 0\n"                                                                         \
    "M  V30 2 C 1.299 0.75 0 0\n"                                                                  \
    "M  V30 3 O 2.5981 0 0 0 CHG=-1\n"                                                             \
    "M  V30 4 O 1.299 2.25 0 0\n"                                                                  \
    "M  V30 END ATOM\n"                                                                            \
    "M  V30 BEGIN BOND\n"                                                                          \
    "M  V30 1 1 1 2\n"                                                                             \
    "M  V30 2 1 2 3\n"                                                                             \
    "M  V30 3 2 2 4\n"                                                                             \
    "M  V30 END BOND\n"                                                                            \
    "M  V30 END CTAB\n"                                                                            \
    "M  END\n"

static void test_sdf(void **state) {
    (void)state;
    const char data[] = "ethanol" ETHANOL_V2000 "> <logP>\n-0.0014\n\n"
                        ">  <note> (7)\nline one\nline two\n\n"
                        "$$$$\n"
                        "broken\nno counts line\n$$$$\n"
                        "  acetate  " ACETATE_V3000 "> <charge>\n-1\n$$$$\n"
                        "again" ETHANOL_V2000 "\n\n";
    char *log = parse_all_ways(MOLIN_SDF, data, sizeof data - 1, 0);
    char want[4096];
    char eth[1024], ace[1024];
    snprintf(eth, sizeof eth, "%s", ETHANOL_V2000);
    snprintf(ace, sizeof ace, "%s", ACETATE_V3000);
    for (char *p = eth; *p; p++) *p = *p == '\n' ? '/' : *p;
    for (char *p = ace; *p; p++) *p = *p == '\n' ? '/' : *p;
    snprintf(want, sizeof want,
             "1:1|ethanol|ethanol%s|logP=-0.0014;note=line one/line two;|\n"
             "2:19|broken|||no 'M  END' line in the record\n"
             "3:22|acetate|  acetate  %s|charge=-1;|\n"
             "4:44|again|again%s||\n",
             eth, ace, eth);
    assert_string_equal(log, want);
    free(log);
}

/* CR line ends, a record past the limit skipped to its "$$$$", a NUL byte. */
static void test_sdf_errors(void **state) {
    (void)state;
    char data[4096];
    int n = snprintf(data, sizeof data, "a%s$$$$\rbig%s> <x>\r%0300d\r$$$$\rc%s$$$$\r",
                     ETHANOL_V2000, ETHANOL_V2000, 7, ETHANOL_V2000);
    for (int i = 0; i < n; i++)
        if (data[i] == '\n') data[i] = '\r';
    char *log = parse_all_ways(MOLIN_SDF, data, (size_t)n, 600);
    assert_non_null(strstr(log, "1:1|a|a/"));
    assert_non_null(strstr(log, "2:12|big|||record longer than the limit\n3:25|c|c/"));
    free(log);
    memcpy(data, "x\n\0y\n$$$$\nz" ETHANOL_V2000, 11 + sizeof ETHANOL_V2000);
    log = parse_all_ways(MOLIN_SDF, data, 10 + sizeof ETHANOL_V2000, 0);
    assert_non_null(strstr(log, "1:1|x|||a NUL byte in the record\n2:4|z|z/"));
    free(log);
    /* an empty input, blank lines only, an empty record */
    log = parse(MOLIN_SDF, "\n\n", 2, 2, 0);
    assert_string_equal(log, "");
    free(log);
    log = parse(MOLIN_SDF, "$$$$\n", 5, 5, 0);
    assert_string_equal(log, "1:1||||no 'M  END' line in the record\n");
    free(log);
}

static int stop_at_second(const MolinRecord *r, void *user) {
    (void)user;
    return r->number == 2;
}

static void test_stop_and_formats(void **state) {
    (void)state;
    Molin *r;
    MolinOptions o = {MOLIN_SMI, 0};
    assert_int_equal(cv_molin_open(&r, &o, stop_at_second, NULL, NULL), CV_OK);
    assert_int_equal(cv_molin_feed(r, "C\nCC\nCCC\n", 9, NULL), CV_ERR_INTERRUPTED);
    cv_molin_close(r);
    o.format = MOLIN_CSV;
    assert_int_equal(cv_molin_open(&r, &o, stop_at_second, NULL, NULL), CV_ERR_INVALID);
    assert_null(r);

    assert_int_equal(cv_molin_format_of("a.SDF", MOLIN_AUTO), MOLIN_SDF);
    assert_int_equal(cv_molin_format_of("a.sd.gz", MOLIN_AUTO), MOLIN_SDF);
    assert_int_equal(cv_molin_format_of("dir.sdf/a.smiles", MOLIN_AUTO), MOLIN_SMI);
    assert_int_equal(cv_molin_format_of("a.smi.gz", MOLIN_AUTO), MOLIN_SMI);
    assert_int_equal(cv_molin_format_of("a.csv.gz", MOLIN_AUTO), MOLIN_CSV);
    assert_int_equal(cv_molin_format_of("sdf", MOLIN_AUTO), MOLIN_CSV);
    assert_int_equal(cv_molin_format_of("-", MOLIN_AUTO), MOLIN_CSV);
    assert_int_equal(cv_molin_format_of("a.csv", MOLIN_SDF), MOLIN_SDF);
    MolinFormat f;
    assert_int_equal(cv_molin_format_parse("SMILES", &f), 0);
    assert_int_equal(f, MOLIN_SMI);
    assert_int_equal(cv_molin_format_parse("sdf", &f), 0);
    assert_int_equal(f, MOLIN_SDF);
    assert_int_equal(cv_molin_format_parse("mol2", &f), -1);
    assert_string_equal(cv_molin_format_name(MOLIN_CSV), "csv");
}

/* A gzip-compressed SDF is read like the plain one; a missing file is CV_ERR_IO. */
static void test_gzip_file(void **state) {
    (void)state;
    char path[] = "/tmp/cvmolin-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    gzFile gz = gzdopen(fd, "wb");
    const char data[] = "eth" ETHANOL_V2000 "$$$$\n";
    assert_int_equal(gzwrite(gz, data, sizeof data - 1), (int)sizeof data - 1);
    gzclose(gz);
    Log l = {0};
    MolinOptions o = {MOLIN_SDF, 0};
    assert_int_equal(cv_molin_read_file(path, &o, log_record, &l, NULL), CV_OK);
    char *plain = parse(MOLIN_SDF, data, sizeof data - 1, 64, 0);
    assert_string_equal(l.s, plain);
    free(plain);
    free(l.s);
    unlink(path);
    CvError err = {0};
    assert_int_equal(cv_molin_read_file(path, &o, log_record, &l, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, path));
}

static int to_canonical(const MolinRecord *r, void *user) {
    ChemMol *mol = cv_chem_mol_from_molblock(r->mol);
    char **out = user;
    out[r->number - 1] = mol ? cv_chem_mol_canonical(mol) : NULL;
    cv_chem_mol_free(mol);
    return 0;
}

/* RDKit reads the records' molblocks: ethanol, acetate (V3000, a charge), not the broken. */
static void test_molblocks_to_smiles(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    const char data[] = "ethanol" ETHANOL_V2000 "$$$$\nacetate" ACETATE_V3000 "$$$$\n"
                        "bad" ETHANOL_V2000 "$$$$\n";
    char bad[sizeof data];
    memcpy(bad, data, sizeof data);
    char *b = strstr(strstr(bad, "bad"), "  2  3  1  0");
    b[8] = '3'; /* C#O: oxygen with valence 3 (a bond to a missing atom would do too, but
                 * RDKit 2022.09 leaks its half-read molecule then) */
    char *smiles[3] = {0};
    Molin *r;
    MolinOptions opt = {MOLIN_SDF, 0};
    assert_int_equal(cv_molin_open(&r, &opt, to_canonical, smiles, NULL), CV_OK);
    assert_int_equal(cv_molin_feed(r, bad, sizeof bad - 1, NULL), CV_OK);
    assert_int_equal(cv_molin_finish(r, NULL), CV_OK);
    cv_molin_close(r);
    assert_string_equal(smiles[0], "CCO");
    assert_string_equal(smiles[1], "CC(=O)[O-]");
    assert_null(smiles[2]);
    free(smiles[0]);
    free(smiles[1]);
    assert_null(cv_chem_mol_from_molblock("CCO"));
    assert_null(cv_chem_mol_from_molblock(NULL));
}

/* The canonical SMILES of cv_chem_mol_from_text(text, is_molblock), NULL when unread. */
static char *text_canonical(const char *text, int is_molblock) {
    ChemMol *mol = cv_chem_mol_from_text(text, is_molblock);
    char *canon = mol ? cv_chem_mol_canonical(mol) : NULL;
    cv_chem_mol_free(mol);
    return canon;
}

/* One call reads a record's text by its kind: a molblock as a molblock, a SMILES as a
 * SMILES, and neither as the other. */
static void test_mol_from_text(void **state) {
    (void)state;
    cv_chem_log_rdkit(0);
    char *a = text_canonical("ethanol" ETHANOL_V2000, 1), *b = text_canonical("OCC", 0);
    assert_string_equal(a, "CCO");
    assert_string_equal(b, "CCO");
    free(a);
    free(b);
    assert_null(cv_chem_mol_from_text("ethanol" ETHANOL_V2000, 0));
    assert_null(cv_chem_mol_from_text("CCO", 1));
    assert_null(cv_chem_mol_from_text(NULL, 0));
    assert_null(cv_chem_mol_from_text(NULL, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smiles_file),
        cmocka_unit_test(test_smiles_errors),
        cmocka_unit_test(test_sdf),
        cmocka_unit_test(test_sdf_errors),
        cmocka_unit_test(test_stop_and_formats),
        cmocka_unit_test(test_gzip_file),
        cmocka_unit_test(test_molblocks_to_smiles),
        cmocka_unit_test(test_mol_from_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
