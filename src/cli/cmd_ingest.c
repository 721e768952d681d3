/* cmd_ingest.c — `chemvae ingest`: the ingest job (app_ingest.h) from the command line:
 * CSV → .cvds dataset. Prints the summary counts (stdout: CSV or JSON; stderr: one human
 * line per count), the reject file path, and fails (exit 1) on I/O errors or when no row
 * is usable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/app/app_ingest.h"
#include "chemvae/chem/chem.h"
#include "chemvae/core/csvout.h"
#include "cli.h"
#include "options.h"

enum { INGEST_MAX_EXTRA = 16 };

typedef struct {
    const char *files[INGEST_MAX_EXTRA];
    size_t n;
} ExtraFiles;

typedef struct {
    const char *output, *smiles_col, *props, *compute, *vocab, *vocab_out, *split_col, *rejects;
    char delim;
    int no_canonical, unk, json, quiet, rdkit_log;
    long max_len, seed, threads;
    double ratios[3];
    ExtraFiles extra;
} IngestArgs;

/* --props / --compute: a comma list, 'none' = the empty list */
static CvStatus parse_list(const char *opt, const char *arg, void *field, CvError *err) {
    (void)opt, (void)err;
    *(const char **)field = strcmp(arg, "none") ? arg : "";
    return CV_OK;
}
static void list_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}
static const CvParamType LIST = {1, "LIST", parse_list, list_json};

/* --delimiter: one character (not a quote or a newline), 'tab' or '\t' */
static CvStatus parse_delim(const char *opt, const char *arg, void *field, CvError *err) {
    char *d = field;
    if (!strcmp(arg, "tab") || !strcmp(arg, "\\t") || !strcmp(arg, "\t")) *d = '\t';
    else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n') *d = arg[0];
    else {
        cv_error_set(err, CV_ERR_INVALID, "%s expects one character or 'tab', got '%s'", opt, arg);
        return CV_ERR_INVALID;
    }
    return CV_OK;
}
static void delim_json(CvJson *j, const void *field) {
    char d[2] = {*(const char *)field, '\0'};
    cv_json_string(j, d[0] ? d : NULL);
}
static const CvParamType DELIM = {1, "C", parse_delim, delim_json};

/* --split A,B,C: three ratios >= 0, not all 0 */
static CvStatus parse_ratios(const char *opt, const char *arg, void *field, CvError *err) {
    double *r = field;
    const char *s = arg;
    char *end;
    int ok = 1;
    for (int k = 0; k < 3 && ok; k++) {
        r[k] = strtod(s, &end);
        ok = end != s && r[k] >= 0 && (k == 2 || *end == ',');
        s = end + (k < 2);
    }
    if (ok && !*end && r[0] + r[1] + r[2] > 0) return CV_OK;
    cv_error_set(err, CV_ERR_INVALID, "%s expects three ratios >= 0 like 0.8,0.1,0.1, got '%s'",
                 opt, arg);
    return CV_ERR_INVALID;
}
static void ratios_json(CvJson *j, const void *field) {
    const double *r = field;
    cv_json_begin_array(j);
    for (int k = 0; k < 3; k++) cv_json_double(j, r[k]);
    cv_json_end_array(j);
}
static const CvParamType RATIOS = {1, "A,B,C", parse_ratios, ratios_json};

/* --train-extra FILE, repeatable */
static CvStatus parse_extra(const char *opt, const char *arg, void *field, CvError *err) {
    ExtraFiles *x = field;
    if (x->n < INGEST_MAX_EXTRA) {
        x->files[x->n++] = arg;
        return CV_OK;
    }
    cv_error_set(err, CV_ERR_INVALID, "at most %d %s files", INGEST_MAX_EXTRA, opt);
    return CV_ERR_INVALID;
}
static void extra_json(CvJson *j, const void *field) {
    const ExtraFiles *x = field;
    cv_json_begin_array(j);
    for (size_t k = 0; k < x->n; k++) cv_json_string(j, x->files[k]);
    cv_json_end_array(j);
}
static const CvParamType EXTRA = {1, "FILE", parse_extra, extra_json};

#define STR_(x) #x
#define STR(x) STR_(x)
#define F(field) offsetof(IngestArgs, field)
static const CvParam OPTS[] = {
    CV_PARAM("output", 'o', CV_PARAM_STRING, F(output), "FILE",
             "dataset to write (default: INPUT with .cvds instead of .csv)"),
    CV_PARAM("smiles-col", 0, CV_PARAM_STRING, F(smiles_col), "NAME",
             "SMILES column (default: first column named smiles, any case)"),
    CV_PARAM("props", 0, LIST, F(props), "LIST",
             "property columns to read, e.g. logP,qed,SAS ('none': no\ncolumns; default: "
             "whichever of logP, qed, SAS the file has)"),
    CV_PARAM("compute", 0, LIST, F(compute), "LIST",
             "properties computed with RDKit: logp,qed,sa,mw,plogp ('none';\ndefault: those of "
             "logp, qed, sa the file does not have,\nnone when --props is given)"),
    CV_PARAM("delimiter", 'd', DELIM, F(delim), "C",
             "field delimiter: a character, 'tab' or '\\t' (default: auto,\ncomma or tab from "
             "the first line)"),
    CV_PARAM("no-canonical", 0, CV_PARAM_SWITCH, F(no_canonical), NULL,
             "keep SMILES as written (still validated by RDKit)"),
    CV_PARAM("vocab", 0, CV_PARAM_STRING, F(vocab), "FILE",
             "use this vocabulary (default: build it from the train split)"),
    CV_PARAM("unk", 0, CV_PARAM_SWITCH, F(unk), NULL,
             "with --vocab: map unknown tokens to <unk> instead of\nrejecting the row"),
    CV_PARAM("vocab-out", 0, CV_PARAM_STRING, F(vocab_out), "FILE",
             "also save the dataset's vocabulary as a text file"),
    CV_PARAM(
        "max-len", 'T', CV_PARAM_LONG, F(max_len), "N",
        "max tokens per molecule INCLUDING the end token (default " STR(DATASET_DEFAULT_T) ")"),
    CV_PARAM("split", 0, RATIOS, F(ratios), "A,B,C",
             "train,valid,test ratios (default 0.8,0.1,0.1)"),
    CV_PARAM("train-extra", 0, EXTRA, F(extra), "FILE",
             "more molecules for the train split only (repeatable):\nINPUT alone decides the "
             "valid/test split, as if FILE\nwere not there; a molecule already in INPUT is a\n"
             "duplicate, so the test split stays unseen"),
    CV_PARAM("split-col", 0, CV_PARAM_STRING, F(split_col), "NAME",
             "take each row's split from this column instead (train;\nvalid/validation/val/dev; "
             "test*), e.g. MOSES's SPLIT"),
    CV_PARAM("seed", 0, CV_PARAM_LONG, F(seed), "N", "split seed (default 42)"),
    CV_PARAM("rejects", 0, CV_PARAM_STRING, F(rejects), "FILE",
             "reject CSV (default: OUTPUT with .rejects.csv)"),
    CV_PARAM("threads", 'j', CV_PARAM_LONG, F(threads), "N",
             "worker threads for RDKit (default: all CPUs)"),
    CV_PARAM("json", 0, CV_PARAM_SWITCH, F(json), NULL, "print the summary as JSON instead of CSV"),
    CV_PARAM("quiet", 'q', CV_PARAM_SWITCH, F(quiet), NULL,
             "no progress bar and no summary on stderr"),
    CV_PARAM("rdkit-log", 0, CV_PARAM_SWITCH, F(rdkit_log), NULL,
             "let RDKit print its parse errors (default: only the\nreject file records them)"),
};
static const CvParamTable OPTS_TABLE = CV_PARAM_TABLE(OPTS);
#undef F

static const CliCommand COMMAND = {
    .name = "ingest",
    .synopsis = "[options] INPUT.csv [-o OUTPUT.cvds]",
    .intro =
        "Reads a ZINC/MOSES-style CSV (or TSV), validates and canonicalizes every SMILES with\n"
        "RDKit, drops duplicates, tokenizes, splits train/valid/test and writes a dataset.\n"
        "Bad rows go to a reject CSV (line,kind,reason,text); the counts printed at the end\n"
        "add up: rows = accepted + rejected + duplicates.\n",
    .tables = {{&OPTS_TABLE, 0}},
    .max_operands = -1};

static int parse_args(int argc, char **argv, IngestArgs *a, const char **input) {
    CvDatasetOptions ds;
    cv_dataset_options_default(&ds);
    *a = (IngestArgs){.max_len = (long)ds.T, .seed = (long)ds.seed};
    memcpy(a->ratios, ds.ratios, sizeof a->ratios);
    int first = 0;
    int rc = cli_options_parse(&COMMAND, argc, argv, a, &first);
    if (rc) return rc;
    const char *cmd = COMMAND.name;
    if (a->max_len < 2 || a->max_len > 65535)
        return cli_usage_error(cmd, "--max-len must be in 2..65535");
    if (first != argc - 1) return cli_usage_error(cmd, "expected one input file");
    *input = argv[first];
    if (a->unk && !a->vocab) return cli_usage_error(cmd, "--unk needs --vocab");
    if (!a->output && !strcmp(*input, "-"))
        return cli_usage_error(cmd, "reading stdin needs --output");
    return CLI_OK;
}

static CvIngestConfig make_config(const IngestArgs *a, const char *input) {
    CvIngestConfig c = {.input = input,
                        .output = a->output,
                        .rejects = a->rejects,
                        .vocab = a->vocab,
                        .vocab_out = a->vocab_out};
    IngestOptions *o = &c.ingest;
    cv_ingest_options_default(o);
    o->smiles_col = a->smiles_col;
    o->split_col = a->split_col;
    o->props = a->props;
    o->compute = a->compute;
    o->delim = a->delim;
    o->no_canonical = a->no_canonical;
    o->unk_ok = a->unk;
    o->ds.T = (size_t)a->max_len;
    o->ds.seed = (uint64_t)a->seed;
    memcpy(o->ds.ratios, a->ratios, sizeof o->ds.ratios);
    o->train_files = a->extra.files;
    o->n_train_files = a->extra.n;
    o->threads = (int)(a->threads > 64 ? 64 : a->threads);
    o->progress = !a->quiet;
    return c;
}

/* The human summary on stderr (also when no row was usable: the counts say why). */
static void print_summary(const CvIngestConfig *c, const CvIngestResult *r, int ok) {
    const IngestStats *s = &r->stats;
    fprintf(stderr, "%s: %zu rows = %zu accepted + %zu rejected + %zu duplicates (%.2f s)\n",
            c->input, s->rows, s->accepted, s->rejected, s->duplicates, s->seconds);
    for (int k = 0; k < INGEST_NKINDS; k++)
        if (s->by_kind[k])
            fprintf(stderr, "  rejected %-22s %zu\n", cv_ingest_reject_name((IngestReject)k),
                    s->by_kind[k]);
    if (c->ingest.n_train_files)
        fprintf(stderr, "  %zu accepted rows from --train-extra, all in the train split\n",
                s->train_extra);
    if (s->rejected) fprintf(stderr, "  reject report: %s\n", r->rejects);
    if (ok)
        fprintf(stderr, "  wrote %s: N=%zu (train %zu, valid %zu, test %zu) T=%zu V=%zu P=%zu%s\n",
                r->output, r->n, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P,
                r->unk_rows ? " (some valid/test rows hold <unk>)" : "");
}

static CvStatus print_json(const char *input, const CvIngestResult *r, CvError *err) {
    const IngestStats *s = &r->stats;
    CvJson j = {0};
    cv_json_begin_object(&j);
    cv_json_kv_string(&j, "input", input);
    cv_json_kv_string(&j, "output", r->output);
    cv_json_kv_int(&j, "rows", (int64_t)s->rows);
    cv_json_kv_int(&j, "accepted", (int64_t)s->accepted);
    cv_json_kv_int(&j, "rejected", (int64_t)s->rejected);
    cv_json_kv_int(&j, "duplicates", (int64_t)s->duplicates);
    cv_json_kv_double(&j, "seconds", s->seconds);
    cv_json_key(&j, "rejects_by_kind");
    cv_json_begin_object(&j);
    for (int k = 0; k < INGEST_NKINDS; k++)
        cv_json_kv_int(&j, cv_ingest_reject_name((IngestReject)k), (int64_t)s->by_kind[k]);
    cv_json_end_object(&j);
    cv_json_kv_int(&j, "train_extra", (int64_t)s->train_extra);
    size_t counts[] = {r->n, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P, r->unk_rows};
    const char *names[] = {"n", "train", "valid", "test", "T", "V", "P", "unk_rows"};
    for (size_t k = 0; k < 8; k++) cv_json_kv_int(&j, names[k], (int64_t)counts[k]);
    cv_json_end_object(&j);
    const char *text = cv_json_text(&j, err);
    if (text) printf("%s\n", text);
    cv_json_free(&j);
    return text ? CV_OK : err->code;
}

static void print_csv(const char *input, const CvIngestResult *r) {
    static const char *const COLUMNS[] = {"input",      "output",  "rows",  "accepted", "rejected",
                                          "duplicates", "seconds", "train", "valid",    "test",
                                          "T",          "V",       "P"};
    const IngestStats *s = &r->stats;
    cv_csv_record(stdout, COLUMNS, sizeof COLUMNS / sizeof COLUMNS[0]);
    cv_csv_str(stdout, input);
    putchar(',');
    cv_csv_str(stdout, r->output);
    printf(",%zu,%zu,%zu,%zu,%.3f,%zu,%zu,%zu,%zu,%zu,%zu\n", s->rows, s->accepted, s->rejected,
           s->duplicates, s->seconds, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P);
}

int cmd_ingest(int argc, char **argv) {
    IngestArgs a;
    const char *input = NULL;
    int rc = parse_args(argc, argv, &a, &input);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    CvIngestConfig cfg = make_config(&a, input);
    cv_chem_log_rdkit(a.rdkit_log);
    CvIngestResult res;
    CvError err = {0};
    CvStatus st = cv_ingest(&cfg, &res, &err);
    if (res.counted && !a.quiet) print_summary(&cfg, &res, st == CV_OK);
    if (!st && a.json) st = print_json(input, &res, &err);
    else if (!st) print_csv(input, &res);
    rc = st ? cli_report(COMMAND.name, &err) : CLI_OK;
    cv_ingest_result_free(&res);
    return rc;
}
