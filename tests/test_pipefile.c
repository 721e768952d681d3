/* test_pipefile.c — pipeline file parser (directives, quoting, variables, --set overrides,
 * ${RUN}), its error messages (each names file:line), the stage hash (changes with an
 * input's content, options and outputs; not with ${RUN}), and the PCA used by the report. */
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

#include "chemvae/core/pca.h"
#include "chemvae/pipeline/pipefile.h"

static const char VALID[] = "# a comment line\n"
                            "set OUT results/x   # trailing comment\n"
                            "set MSG \"two words\"\n"
                            "\n"
                            "stage ingest ingest\n"
                            "  in data.csv\n"
                            "  out ${OUT}/d.cvds\n"
                            "  args --input data.csv --out ${OUT}/d.cvds\n"
                            "stage train train\n"
                            "    args --data ${OUT}/d.cvds \"--note=${MSG}\" --parent-run ${RUN}\n"
                            "    args --epochs 3\n"
                            "    resume --resume\n"
                            "    prebuilt ${OUT}/pre.cvae\n"
                            "stage report report\n"
                            "  args --title \"a \\\"quoted\\\" \\\\ word\"\n";

static void test_parse_valid(void **state) {
    (void)state;
    PipeFile pf;
    CvError err = {0};
    assert_int_equal(cv_pipefile_parse(&pf, "pipelines/demo", VALID, NULL, 0, &err), CV_OK);
    assert_int_equal(pf.nstages, 3);
    assert_string_equal(pf.stages[0].name, "ingest");
    assert_string_equal(pf.stages[0].command, "ingest");
    assert_int_equal(pf.stages[0].line, 5);
    assert_int_equal(pf.stages[0].inputs.n, 1);
    assert_string_equal(pf.stages[0].outputs.v[0], "results/x/d.cvds");
    assert_int_equal(pf.stages[0].args.n, 4);
    assert_string_equal(pf.stages[0].args.v[3], "results/x/d.cvds");
    const PipeStage *t = &pf.stages[1];
    assert_int_equal(t->args.n, 7); /* two args lines appended */
    assert_string_equal(t->args.v[2], "--note=two words");
    assert_string_equal(t->args.v[4], "${RUN}");
    assert_string_equal(t->args.v[6], "3");
    assert_int_equal(t->resume.n, 1);
    assert_string_equal(t->prebuilt, "results/x/pre.cvae");
    assert_string_equal(pf.stages[2].args.v[1], "a \"quoted\" \\ word");
    assert_string_equal(cv_pipefile_var(&pf, "PIPELINE"), "demo");
    assert_string_equal(cv_pipefile_var(&pf, "OUT"), "results/x");
    assert_null(cv_pipefile_var(&pf, "NOPE"));
    assert_int_equal(cv_pipefile_find_stage(&pf, "report"), 2);
    assert_int_equal(cv_pipefile_find_stage(&pf, "sample"), -1);
    char *s = cv_pipefile_subst_run("--x=${RUN}/${RUN}", "42");
    assert_string_equal(s, "--x=42/42");
    free(s);
    cv_pipefile_free(&pf);
    cv_pipefile_free(&pf); /* safe twice */
}

static void test_overrides(void **state) {
    (void)state;
    PipeFile pf;
    CvError err = {0};
    const char *sets[] = {"OUT=/tmp/elsewhere", "EXTRA=1"};
    assert_int_equal(cv_pipefile_parse(&pf, "p", VALID, sets, 2, &err), CV_OK);
    assert_string_equal(pf.stages[0].outputs.v[0], "/tmp/elsewhere/d.cvds");
    assert_string_equal(cv_pipefile_var(&pf, "EXTRA"), "1");
    cv_pipefile_free(&pf);
    const char *bad[] = {"1X=2"};
    assert_int_equal(cv_pipefile_parse(&pf, "p", VALID, bad, 1, &err), CV_ERR_PARSE);
    assert_non_null(strstr(err.msg, "1X=2"));
    const char *run[] = {"RUN=3"};
    assert_int_equal(cv_pipefile_parse(&pf, "p", VALID, run, 1, &err), CV_ERR_PARSE);
}

/* Each bad file fails with CV_ERR_PARSE and a message naming "f:LINE:" and `needle`. */
static void test_parse_errors(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *needle;
    } cases[] = {
        {"stage a score\n  bogus 1\n", 2, "unknown directive 'bogus'"},
        {"args --x\nstage a score\n", 1, "before the first 'stage'"},
        {"stage a\n", 1, "'stage' takes a name and a chemvae command"},
        {"stage a score\n\nstage a score\n", 3, "defined twice"},
        {"stage a score\n  args ${NOPE}\n", 2, "undefined variable '${NOPE}'"},
        {"stage a score\n  args ${A-B}\n", 2, "bad variable name"},
        {"stage a score\n  args ${OPEN\n", 2, "without a closing"},
        {"stage a score\n  args \"open\n", 2, "unterminated quote"},
        {"set A\nstage a score\n", 1, "'set' takes a name and one value"},
        {"set RUN 1\nstage a score\n", 1, "RUN is reserved"},
        {"stage a score\n  in\n", 2, "needs at least one value"},
        {"stage a score\n  prebuilt x\n  prebuilt y\n", 3, "once per stage"},
        {"stage a score\n  args ok\n  args ${B}\nset B 1\n", 3,
         "undefined variable"}, /* set after use */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PipeFile pf;
        CvError err = {0};
        assert_int_equal(cv_pipefile_parse(&pf, "f", cases[i].text, NULL, 0, &err), CV_ERR_PARSE);
        char where[32];
        snprintf(where, sizeof where, "f:%d:", cases[i].line);
        if (!strstr(err.msg, where) || !strstr(err.msg, cases[i].needle))
            fail_msg("case %zu: message '%s' lacks '%s' or '%s'", i, err.msg, where,
                     cases[i].needle);
        assert_int_equal(pf.nstages, 0); /* freed on failure */
    }
    PipeFile pf;
    CvError err = {0};
    assert_int_equal(cv_pipefile_parse(&pf, "f", "# nothing\nset A 1\n", NULL, 0, &err),
                     CV_ERR_EMPTY);
    assert_int_equal(cv_pipefile_load(&pf, "/nonexistent/pipe", NULL, 0, &err), CV_ERR_IO);
}

static void test_stage_hash(void **state) {
    (void)state;
    char dir[] = "/tmp/cvpipefile-XXXXXX", in[64], text[512];
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof in, "%s/in.smi", dir);
    FILE *fp = fopen(in, "w");
    assert_non_null(fp);
    fputs("CCO\n", fp);
    fclose(fp);
    PipeFile a, b, c;
    CvError err = {0};
    snprintf(text, sizeof text, "stage s score\n in %s\n args --input %s --parent-run ${RUN}\n", in,
             in);
    assert_int_equal(cv_pipefile_parse(&a, "f", text, NULL, 0, &err), CV_OK);
    snprintf(text, sizeof text,
             "stage s score\n in %s\n args --input %s --parent-run ${RUN} --threads 2\n", in, in);
    assert_int_equal(cv_pipefile_parse(&b, "f", text, NULL, 0, &err), CV_OK);
    snprintf(text, sizeof text,
             "stage s score\n in %s\n args --input %s --parent-run ${RUN}\n out x\n", in, in);
    assert_int_equal(cv_pipefile_parse(&c, "f", text, NULL, 0, &err), CV_OK);
    char h1[17], h2[17], h3[17], h4[17];
    assert_int_equal(cv_pipefile_stage_hash(&a.stages[0], h1, &err), CV_OK);
    assert_int_equal(cv_pipefile_stage_hash(&a.stages[0], h2, &err), CV_OK);
    assert_string_equal(h1, h2);
    assert_int_equal(cv_pipefile_stage_hash(&b.stages[0], h3, &err), CV_OK);
    assert_string_not_equal(h1, h3); /* options */
    assert_int_equal(cv_pipefile_stage_hash(&c.stages[0], h3, &err), CV_OK);
    assert_string_not_equal(h1, h3); /* outputs */
    fp = fopen(in, "a");
    fputs("c1ccccc1\n", fp);
    fclose(fp);
    assert_int_equal(cv_pipefile_stage_hash(&a.stages[0], h4, &err), CV_OK);
    assert_string_not_equal(h1, h4); /* input content */
    unlink(in);
    assert_int_equal(cv_pipefile_stage_hash(&a.stages[0], h4, &err), CV_ERR_IO);
    assert_non_null(strstr(err.msg, "stage 's'"));
    assert_non_null(strstr(err.msg, in));
    cv_pipefile_free(&a);
    cv_pipefile_free(&b);
    cv_pipefile_free(&c);
    rmdir(dir);
}

/* Points along direction (3, 4)/5 with a small orthogonal spread uncorrelated with it: PC1 is that
 * direction (positive sign convention), its variance dominates, and projections match by hand. */
static void test_pca(void **state) {
    (void)state;
    enum { N = 48, D = 3 };
    float x[N * D];
    double proj[N * 2], var[2], total;
    for (int i = 0; i < N; i++) {
        double t = i - 23.5, s = (i % 4 == 0 || i % 4 == 3) ? 0.5 : -0.5; /* Σ t·s = Σ s = 0 */
        x[i * D + 0] = (float)(1 + 0.6 * t - 0.8 * s);
        x[i * D + 1] = (float)(2 + 0.8 * t + 0.6 * s);
        x[i * D + 2] = 7; /* constant column */
    }
    CvError err = {0};
    assert_int_equal(cv_pca_project(x, N, D, 2, proj, var, &total, &err), CV_OK);
    assert_true(var[0] > 100 * var[1]);
    assert_true(fabs(var[0] + var[1] - total) < 1e-6 * total);
    for (int i = 0; i < N; i++) {
        double t = i - 23.5, s = (i % 4 == 0 || i % 4 == 3) ? 0.5 : -0.5; /* Σ t·s = Σ s = 0 */
        if (fabs(proj[2 * i] - t) >= 1e-4)
            fail_msg("row %d: %g vs %g", i, proj[2 * i], t); /* loading (0.6, 0.8, 0) */
        assert_true(fabs(fabs(proj[2 * i + 1]) - fabs(s)) < 1e-4);
    }
    /* a fit projects further rows onto the same axes: the fitted rows as cv_pca_project
     * does, and a new point mean + 3·(0.6, 0.8, 0) to (3, 0) */
    CvPca p;
    double again[N * 2], one[2];
    assert_int_equal(cv_pca_fit(x, N, D, 2, &p, &err), CV_OK);
    cv_pca_apply(&p, x, N, again);
    for (int i = 0; i < N * 2; i++) assert_true(again[i] == proj[i]);
    assert_true(p.var[0] == var[0] && p.total_var == total);
    float extra[D] = {(float)(1 + 0.6 * 3), (float)(2 + 0.8 * 3), 7};
    cv_pca_apply(&p, extra, 1, one);
    assert_true(fabs(one[0] - 3) < 1e-5 && fabs(one[1]) < 1e-5);
    cv_pca_free(&p);
    assert_int_equal(cv_pca_fit(x, 1, D, 2, &p, &err), CV_ERR_INVALID);
    cv_pca_free(&p);
    assert_int_equal(cv_pca_project(x, 1, D, 2, proj, NULL, NULL, &err), CV_ERR_INVALID);
    assert_int_equal(cv_pca_project(x, N, D, 4, proj, NULL, NULL, &err), CV_ERR_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),  cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_stage_hash),
        cmocka_unit_test(test_pca),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
