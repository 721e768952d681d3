/* report_failures.c — the report's "why decodes failed" section (see report_internal.h):
 * per run in scope its decodes, valid ones and invalid ones by failure class (the classes of
 * the SMILES state machine, smiles_grammar.h, stored with each generation), then all the
 * invalid decodes of the scope by class: a stacked bar of their shares, and a table with
 * what each class means and the first raw strings that fell in it.
 *
 * Generations stored before the classes were (schema version 1) have none; the first
 * 5,000 of them are classified here by RDKit (cv_chem_failure: a parse error is syntax, an
 * atom over its valence valence, a failed kekulization aromaticity), which cannot tell a
 * ring-closure error from another parse error or see the length limit; the rest stay
 * "unclassified". */
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "report_internal.h"

/* The classes in page order (smiles_grammar.h), RDKit's guesses and the unclassified. */
static const struct {
    const char *name, *meaning;
} CLASSES[] = {
    {"syntax", "token order: a bond without an atom, an empty or unclosed branch, ..."},
    {"ring", "a ring closure left open, closed onto its own atom, or a duplicate bond"},
    {"valence", "an atom with more bonds than its valence allows"},
    {"aromaticity", "aromatic atoms RDKit cannot kekulize, or outside a ring"},
    {"length", "the decoder reached the maximum length before <end>"},
    {"other", "anything else RDKit rejects"},
    {"syntax (RDKit)", "stored unclassified; RDKit cannot parse it (syntax or ring closure)"},
    {"valence (RDKit)", "stored unclassified; RDKit: an atom over its valence"},
    {"aromaticity (RDKit)", "stored unclassified; RDKit cannot kekulize it"},
    {"other (RDKit)", "stored unclassified; RDKit rejects it otherwise"},
    {"unclassified", "stored without a class, beyond the first 5,000 RDKit looked at"},
};
enum { N_CLASSES = sizeof CLASSES / sizeof *CLASSES, RDKIT0 = 6, UNCLASSIFIED = 10 };

typedef struct {
    size_t n[N_CLASSES], total;
    const char *examples[N_CLASSES]; /* newline-separated, borrowed from the table read */
    const char *rdkit_example[4];    /* one each, borrowed from the unclassified read */
} Classes;

/* The RDKit classes of the stored-unclassified decodes u (raw_smiles column) into c. */
static void classify_rdkit(const StoreTable *u, Classes *c) {
    for (size_t r = 0; r < u->nrow; r++) {
        const char *raw = report_text_cell(u, r, 0);
        ChemFailure f = cv_chem_failure(raw);
        size_t k = f == CHEM_FAIL_VALENCE    ? 1
                   : f == CHEM_FAIL_KEKULIZE ? 2
                   : f == CHEM_FAIL_PARSE    ? 0
                                             : 3;
        c->n[RDKIT0 + k]++;
        if (c->n[UNCLASSIFIED]) c->n[UNCLASSIFIED]--;
        if (!c->rdkit_example[k]) c->rdkit_example[k] = raw;
    }
}

/* Counts per class from t (STORE_READ_SCOPE_FAILURE_CLASSES) and u. */
static void count_classes(const StoreTable *t, const StoreTable *u, Classes *c) {
    memset(c, 0, sizeof *c);
    for (size_t r = 0; r < t->nrow; r++) {
        const char *name = report_text_cell(t, r, 0);
        size_t k = *name ? 0 : UNCLASSIFIED;
        while (*name && k < RDKIT0 && strcmp(CLASSES[k].name, name)) k++;
        if (k == RDKIT0) k = 5; /* a class this build does not know: other */
        size_t n = (size_t)cv_store_table_real(t, r, 1);
        c->n[k] += n;
        c->total += n;
        if (!c->examples[k]) c->examples[k] = report_text_cell(t, r, 2);
    }
    classify_rdkit(u, c);
}

/* One stacked bar of the classes' shares, each segment with its tooltip. */
static void share_bar(FILE *fp, const Classes *c) {
    const double W = 900;
    double x = 0;
    fprintf(fp, "<svg class=\"chart\" width=\"900\" height=\"58\" viewBox=\"0 0 900 58\">\n");
    for (size_t k = 0; k < N_CLASSES; k++) {
        if (!c->n[k]) continue;
        double w = W * (double)c->n[k] / (double)c->total;
        fprintf(fp,
                "<rect x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"26\" fill=\"%s\"><title>%s: %zu "
                "(%.1f%%)</title></rect>\n",
                x, w, report_plot_color(k), CLASSES[k].name, c->n[k],
                100.0 * (double)c->n[k] / (double)c->total);
        if (w > 60)
            fprintf(fp, "<text x=\"%.1f\" y=\"48\" class=\"tk\">%s %.0f%%</text>\n", x + 2,
                    CLASSES[k].name, 100.0 * (double)c->n[k] / (double)c->total);
        x += w;
    }
    fprintf(fp, "</svg>\n");
}

/* Examples (newline-separated) as monospace lines. */
static void examples_cell(FILE *fp, const char *ex) {
    fprintf(fp, "<td class=\"smi\">");
    for (const char *p = ex; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *one = strndup(p, len);
        fprintf(fp, "<div class=\"ex\">");
        report_html_escape(fp, one && *one ? one : "(empty string)");
        fprintf(fp, "</div>");
        free(one);
        p = nl ? nl + 1 : p + len;
    }
    fprintf(fp, "</td>");
}

static void class_table(FILE *fp, const Classes *c) {
    fprintf(fp, "<table class=\"failures\"><tr><th>class</th><th>invalid decodes</th><th>share</th>"
                "<th>what it means</th><th>first examples</th></tr>\n");
    for (size_t k = 0; k < N_CLASSES; k++) {
        if (!c->n[k]) continue;
        fprintf(fp, "<tr><td>%s</td><td class=\"n\">%zu</td><td class=\"n\">%.1f%%</td><td>",
                CLASSES[k].name, c->n[k], 100.0 * (double)c->n[k] / (double)c->total);
        report_html_escape(fp, CLASSES[k].meaning);
        fprintf(fp, "</td>");
        examples_cell(fp, k >= RDKIT0 && k < UNCLASSIFIED ? c->rdkit_example[k - RDKIT0]
                          : k == UNCLASSIFIED             ? NULL
                                                          : c->examples[k]);
        fprintf(fp, "</tr>\n");
    }
    fprintf(fp, "</table>\n");
}

/* The scope's invalid decodes by class; -1 when there are none (or the reads failed). */
static int breakdown(Report *rp) {
    StoreTable t = {0}, u = {0};
    CvError err = {0};
    int rc = -1;
    if (!report_read_ok(
            rp, cv_store_run_read(rp->db, STORE_READ_SCOPE_FAILURE_CLASSES, rp->scope, &t, &err),
            &err) &&
        !report_read_ok(
            rp, cv_store_run_read(rp->db, STORE_READ_SCOPE_UNCLASSIFIED, rp->scope, &u, &err),
            &err)) {
        Classes c;
        count_classes(&t, &u, &c);
        if (c.total) {
            fprintf(rp->fp, "<h3>All %zu invalid decodes in scope by class</h3>\n", c.total);
            share_bar(rp->fp, &c);
            class_table(rp->fp, &c);
            rc = 0;
        }
    }
    cv_store_table_free(&t);
    cv_store_table_free(&u);
    return rc;
}

void report_failures(Report *rp) {
    FILE *fp = rp->fp;
    fprintf(fp, "<section id=\"failures\"><h2>Why decodes failed</h2>\n");
    StoreTable t = {0};
    CvError err = {0};
    if (report_read_ok(rp,
                       cv_store_run_read(rp->db, STORE_READ_SCOPE_FAILURES, rp->scope, &t, &err),
                       &err) == 0 &&
        t.nrow) {
        fprintf(
            fp,
            "<p>Invalid decodes by the first rule they break (syntax, ring closure, valence, "
            "aromaticity/kekulization, maximum length) — from the SMILES state machine, else from "
            "RDKit; constrain is the decoding mask in force.</p>\n");
        report_html_table(fp, &t, 25);
        if (breakdown(rp)) fprintf(fp, "<p class=\"note\">No invalid decode in scope.</p>\n");
    } else {
        report_empty(rp, "No generations yet.");
    }
    cv_store_table_free(&t);
    fprintf(fp, "</section>\n");
}
