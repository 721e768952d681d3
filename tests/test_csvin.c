/* test_csvin.c — the streaming CSV reader: ZINC-style quoted SMILES with embedded
 * newlines, CRLF / bare CR, BOM, tab auto-detection, line numbers, recovery after broken
 * quoting, independence from how the input is chunked, gzip input; and the
 * tokenizer round trip on every molecule of the bundled datasets/zinc5k.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/data/csvin.h"
#include "chemvae/core/fileio.h"
#include "chemvae/data/tokenizer.h"
#include "chemvae/data/vocab.h"

/* Serializes every record as "line|error|f1|f2...\n" into a growing string. */
typedef struct {
    char *s;
    size_t len;
} Log;

static void log_add(Log *l, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[4096];
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    l->s = realloc(l->s, l->len + (size_t)k + 1);
    memcpy(l->s + l->len, tmp, (size_t)k + 1);
    l->len += (size_t)k;
}

/* Appends s[0..n) with \n, \r and \t written as two-character escapes. */
static void log_bytes(Log *l, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') log_add(l, "\\n");
        else if (s[i] == '\r') log_add(l, "\\r");
        else if (s[i] == '\t') log_add(l, "\\t");
        else log_add(l, "%c", s[i]);
    }
}

static int log_record(const CsvinRecord *r, void *user) {
    Log *l = user;
    log_add(l, "%zu|%s", r->line, r->error ? "ERR" : "ok");
    for (size_t i = 0; i < r->nfields; i++) {
        log_add(l, "|");
        log_bytes(l, r->fields[i], r->lens[i]);
    }
    log_add(l, "|raw=");
    log_bytes(l, r->raw, r->raw_len);
    log_add(l, "\n");
    return 0;
}

/* Parses `data` fed in chunks of `chunk` bytes; returns the log (caller frees). */
static char *parse(const char *data, size_t n, size_t chunk, char delim) {
    Log l = {calloc(1, 1), 0};
    Csvin *r;
    CvError err;
    CsvinOptions o = {delim, 0, 4, 0};
    assert_int_equal(cv_csvin_open(&r, &o, log_record, &l, &err), CV_OK);
    for (size_t i = 0; i < n; i += chunk)
        assert_int_equal(cv_csvin_feed(r, data + i, n - i < chunk ? n - i : chunk, &err), CV_OK);
    assert_int_equal(cv_csvin_finish(r, &err), CV_OK);
    cv_csvin_close(r);
    return l.s;
}

static const char MESSY[] = "\xef\xbb\xbfsmiles,a\r\n" /* 1: BOM + CRLF header */
                            "\"CC\n\",1\r\n"  /* 2-3: quoted SMILES with newline (ZINC style) */
                            "\r\n"            /* 4: blank */
                            "CC\"O,2\n"       /* 5: stray quote */
                            "\"CCO,3\n"       /* 6: unbalanced quote... */
                            "CCN,4\n"         /* 7: ...recovered */
                            "  x , \" y \"\n" /* 8: spaces trimmed outside quotes, kept inside */
                            "a,\"b\"\"c\"\rlone,cr\r" /* 9, 10: bare CR line ends, doubled quote */
                            "\"open,5\n"              /* 11: unterminated until EOF */
                            "last,6";                 /* 12: no final newline */

static void test_messy_input(void **state) {
    (void)state;
    char *log = parse(MESSY, sizeof MESSY - 1, 1 << 20, 0);
    const char *want = "1|ok|smiles|a|raw=smiles,a\\r\n"
                       "2|ok|CC\\n|1|raw=\"CC\\n\",1\\r\n"
                       "5|ERR|raw=CC\"O,2\\n\n"
                       "6|ERR|raw=\"CCO,3\\n\n"
                       "7|ok|CCN|4|raw=CCN,4\\n\n"
                       "8|ok|x| y |raw=  x , \" y \"\\n\n"
                       "9|ok|a|b\"c|raw=a,\"b\"\"c\"\\r\n"
                       "10|ok|lone|cr|raw=lone,cr\\r\n"
                       "11|ERR|raw=\"open,5\\n\n"
                       "12|ok|last|6|raw=last,6\n";
    if (strcmp(log, want) != 0) fail_msg("got:\n%s\nwant:\n%s", log, want);
    /* every chunking gives the same records */
    for (size_t chunk = 1; chunk < 9; chunk++) {
        char *other = parse(MESSY, sizeof MESSY - 1, chunk, 0);
        assert_string_equal(other, log);
        free(other);
    }
    free(log);
}

static void test_tab_and_limits(void **state) {
    (void)state;
    const char tsv[] = "SMILES\tlogP\nc1ccccc1\t1.5\nC C\t2\n";
    char *log = parse(tsv, sizeof tsv - 1, 7, 0);
    assert_string_equal(log, "1|ok|SMILES|logP|raw=SMILES\\tlogP\\n\n"
                             "2|ok|c1ccccc1|1.5|raw=c1ccccc1\\t1.5\\n\n"
                             "3|ok|C C|2|raw=C C\\t2\\n\n");
    free(log);
    /* explicit delimiter */
    const char semi[] = "smiles;x\nCC;1\n";
    log = parse(semi, sizeof semi - 1, 3, ';');
    assert_string_equal(log, "1|ok|smiles|x|raw=smiles;x\\n\n2|ok|CC|1|raw=CC;1\\n\n");
    free(log);
    /* an unterminated quote in a plain file swallows at most max_record_lines (4) lines,
     * then every following line is read normally */
    const char plain[] = "smiles\n\"CCO\nC1\nC2\nC3\nC4\nC5\n";
    log = parse(plain, sizeof plain - 1, 5, 0);
    assert_string_equal(log, "1|ok|smiles|raw=smiles\\n\n2|ERR|raw=\"CCO\\n\n3|ok|C1|raw=C1\\n\n"
                             "4|ok|C2|raw=C2\\n\n5|ok|C3|raw=C3\\n\n6|ok|C4|raw=C4\\n\n"
                             "7|ok|C5|raw=C5\\n\n");
    free(log);
}

static int stop_at_two(const CsvinRecord *r, void *user) {
    (void)r;
    return ++*(int *)user == 2;
}

static void test_callback_stops(void **state) {
    (void)state;
    int count = 0;
    Csvin *r;
    CvError err;
    assert_int_equal(cv_csvin_open(&r, NULL, stop_at_two, &count, &err), CV_OK);
    assert_int_equal(cv_csvin_feed(r, "a\nb\nc\nd\n", 8, &err), CV_ERR_INTERRUPTED);
    assert_int_equal(count, 2);
    cv_csvin_close(r);
    assert_int_equal(cv_csvin_read_file("/nonexistent/x.csv", NULL, stop_at_two, &count, &err),
                     CV_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
}

/* Round trip on every molecule of the bundled ZINC file: the tokens concatenate back to
 * the SMILES, and encode → decode through a vocabulary built from all of them too. */
typedef struct {
    char **smiles;
    size_t n, cap;
} SmilesList;

static int collect_smiles(const CsvinRecord *r, void *user) {
    SmilesList *l = user;
    assert_null(r->error);
    assert_int_equal(r->nfields, 4);
    if (r->line == 1) return 0;
    const char *s = r->fields[0];
    size_t n = r->lens[0];
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) n--;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->smiles = realloc(l->smiles, l->cap * sizeof *l->smiles);
    }
    l->smiles[l->n++] = strndup(s, n);
    return 0;
}

static void test_roundtrip_bundled(void **state) {
    (void)state;
    SmilesList l = {0};
    CvError err;
    assert_int_equal(cv_csvin_read_file("datasets/zinc5k.csv", NULL, collect_smiles, &l, &err),
                     CV_OK);
    assert_int_equal(l.n, 5000);
    CvVocab v;
    assert_int_equal(cv_vocab_build(&v, (const char *const *)l.smiles, l.n, &err), CV_OK);
    TokenSpan spans[256];
    int32_t row[256];
    for (size_t i = 0; i < l.n; i++) {
        const char *s = l.smiles[i];
        size_t n, len = strlen(s), pos = 0;
        assert_int_equal(cv_tokenizer_split(s, len, spans, 256, &n, &err), CV_OK);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(spans[k].off, pos);
            pos += spans[k].len;
        }
        assert_int_equal(pos, len);
        assert_int_equal(cv_vocab_encode(&v, s, 256, 0, row, NULL, &err), CV_OK);
        char *back = cv_vocab_decode(&v, row, 256);
        if (strcmp(back, s) != 0) fail_msg("round trip of '%s' gave '%s'", s, back);
        free(back);
        free(l.smiles[i]);
    }
    free(l.smiles);
    cv_vocab_free(&v);
}

/* A gzip-compressed file reads to the same records as the plain one (no matter its name);
 * a cut-off gzip stream is an I/O error naming the file. */
static void test_gzip_file(void **state) {
    (void)state;
    char dir[] = "/tmp/chemvae-csvin-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[1024], gz[300], cut[300];
    snprintf(gz, sizeof gz, "%s/zinc5k.data", dir);
    snprintf(cut, sizeof cut, "%s/cut.csv.gz", dir);
    snprintf(cmd, sizeof cmd, "gzip -c datasets/zinc5k.csv > '%s' && head -c 20000 '%s' > '%s'", gz,
             gz, cut);
    assert_int_equal(system(cmd), 0);
    SmilesList plain = {0}, packed = {0};
    CvError err;
    assert_int_equal(cv_csvin_read_file("datasets/zinc5k.csv", NULL, collect_smiles, &plain, &err),
                     CV_OK);
    assert_int_equal(cv_csvin_read_file(gz, NULL, collect_smiles, &packed, &err), CV_OK);
    assert_int_equal(packed.n, plain.n);
    for (size_t i = 0; i < plain.n; i++) {
        assert_string_equal(packed.smiles[i], plain.smiles[i]);
        free(plain.smiles[i]);
        free(packed.smiles[i]);
    }
    free(plain.smiles);
    free(packed.smiles);
    SmilesList part = {0};
    assert_int_equal(cv_csvin_read_file(cut, NULL, collect_smiles, &part, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, "cut.csv.gz: read error"));
    for (size_t i = 0; i < part.n; i++) free(part.smiles[i]);
    free(part.smiles);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messy_input),    cmocka_unit_test(test_tab_and_limits),
        cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_roundtrip_bundled),
        cmocka_unit_test(test_gzip_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
