/* app_ingest.c — the ingest job (see app_ingest.h): its parameters (with the value kinds
 * of its own: property lists, the delimiter, split ratios, a thread count), output paths,
 * cv_ingest_csv with the hooks as its batch callback, saving, the result as JSON or CSV and the
 * summary for a person. */
#include "chemvae/app/app_ingest.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/core/csvout.h"
#include "chemvae/core/fileio.h"

/* props / compute: a comma list, 'none' = the empty list */
static CvStatus parse_list(const char *name, const char *text, void *field, CvError *err) {
    (void)name, (void)err;
    *(const char **)field = strcmp(text, "none") ? text : "";
    return CV_OK;
}
static void list_json(CvJson *j, const void *field) {
    cv_json_string(j, *(const char *const *)field);
}
static const CvParamType LIST = {1, "LIST", parse_list, list_json};

/* delimiter: one character (not a quote or a newline), 'tab' or '\t' */
/* split: three ratios >= 0, not all 0 */
static CvStatus parse_ratios(const char *name, const char *text, void *field, CvError *err) {
    double *r = field;
    const char *s = text;
    char *end;
    int ok = 1;
    for (int k = 0; k < 3 && ok; k++) {
        r[k] = strtod(s, &end);
        ok = end != s && r[k] >= 0 && (k == 2 || *end == ',');
        s = end + (k < 2);
    }
    if (ok && !*end && r[0] + r[1] + r[2] > 0) return CV_OK;
    return cv_error_set(err, CV_ERR_INVALID,
                        "%s expects three ratios >= 0 like 0.8,0.1,0.1, got '%s'", name, text);
}
static void ratios_json(CvJson *j, const void *field) {
    const double *r = field;
    cv_json_begin_array(j);
    for (int k = 0; k < 3; k++) cv_json_double(j, r[k]);
    cv_json_end_array(j);
}
static const CvParamType RATIOS = {1, "A,B,C", parse_ratios, ratios_json};

/* threads: >= 0 (0 = every CPU), more than 64 taken as 64 */
static CvStatus parse_threads(const char *name, const char *text, void *field, CvError *err) {
    long v;
    CvStatus st = cv_param_read_long(name, text, LONG_MAX, &v, err);
    if (!st) *(int *)field = (int)(v > 64 ? 64 : v);
    return st;
}
static void threads_json(CvJson *j, const void *field) {
    cv_json_int(j, *(const int *)field);
}
static const CvParamType THREADS = {1, "N", parse_threads, threads_json};

#define STR_(x) #x
#define STR(x) STR_(x)
#define F(field) offsetof(CvIngestConfig, field)
#define O(field) offsetof(CvIngestConfig, ingest.field)
static const CvParam PARAMS[] = {
    CV_PARAM("output", 'o', CV_PARAM_STRING, F(output), "FILE",
             "dataset to write (default: INPUT with .cvds instead of .csv)"),
    CV_PARAM("smiles-col", 0, CV_PARAM_STRING, O(smiles_col), "NAME",
             "SMILES column (default: first column named smiles, any case)"),
    CV_PARAM("props", 0, LIST, O(props), "LIST",
             "property columns to read, e.g. logP,qed,SAS ('none': no\ncolumns; default: "
             "whichever of logP, qed, SAS the file has)"),
    CV_PARAM("compute", 0, LIST, O(compute), "LIST",
             "properties computed with RDKit: logp,qed,sa,mw,plogp ('none';\ndefault: those of "
             "logp, qed, sa the file does not have,\nnone when --props is given)"),
    CV_PARAM_OLD(NULL, 'd', "--delimiter"),
    CV_PARAM("delimiter", 0, CV_PARAM_DELIMITER, O(delim), "C",
             "field delimiter: a character, 'tab' or '\\t' (default: auto,\ncomma or tab from "
             "the first line)"),
    CV_PARAM("input-format", 0, CV_PARAM_INPUT_FORMAT, O(format), "FORMAT",
             "INPUT's format: csv, smi (a SMILES and a name a\nline) or sdf (its data items are "
             "columns, its\nmolblocks the SMILES column);\n" CV_INPUT_FORMAT_AUTO "csv"),
    CV_PARAM("no-canonical", 0, CV_PARAM_SWITCH, O(no_canonical), NULL,
             "keep SMILES as written (still validated by RDKit)"),
    CV_PARAM("standardize", 0, CV_PARAM_SWITCH, O(standardize), NULL,
             "replace each molecule by its neutral parent (RDKit\nMolStandardize's charge parent: "
             "the largest fragment,\ncharges neutralized)"),
    CV_PARAM("tautomer", 0, CV_PARAM_SWITCH, O(tautomer), NULL,
             "--standardize, then the canonical tautomer"),
    CV_PARAM("vocab", 0, CV_PARAM_STRING, F(vocab), "FILE",
             "use this vocabulary (default: build it from the train split)"),
    CV_PARAM("unk", 0, CV_PARAM_SWITCH, O(unk_ok), NULL,
             "with --vocab: map unknown tokens to <unk> instead of\nrejecting the row"),
    CV_PARAM("vocab-out", 0, CV_PARAM_STRING, F(vocab_out), "FILE",
             "also save the dataset's vocabulary as a text file"),
    CV_PARAM(
        "max-len", 'T', CV_PARAM_SIZE, O(ds.T), "N",
        "max tokens per molecule INCLUDING the end token (default " STR(DATASET_DEFAULT_T) ")"),
    CV_PARAM("split", 0, RATIOS, O(ds.ratios), "A,B,C",
             "train,valid,test ratios (default 0.8,0.1,0.1)"),
    CV_PARAM("train-extra", 0, CV_PARAM_STRINGS, F(train_extra), "FILE",
             "more molecules for the train split only (repeatable):\nINPUT alone decides the "
             "valid/test split, as if FILE\nwere not there; a molecule already in INPUT is a\n"
             "duplicate, so the test split stays unseen"),
    CV_PARAM("split-col", 0, CV_PARAM_STRING, O(split_col), "NAME",
             "take each row's split from this column instead (train;\nvalid/validation/val/dev; "
             "test*), e.g. MOSES's SPLIT"),
    CV_PARAM("seed", 0, CV_PARAM_U64, O(ds.seed), "N", "split seed (default 42)"),
    CV_PARAM("rejects", 0, CV_PARAM_STRING, F(rejects), "FILE",
             "reject CSV (default: OUTPUT with .rejects.csv)"),
    CV_PARAM("threads", 'j', THREADS, O(threads), "N",
             "worker threads for RDKit (default: all CPUs)"),
};
#undef O
#undef F
const CvParamTable cv_ingest_params = CV_PARAM_TABLE(PARAMS);

void cv_ingest_config_default(CvIngestConfig *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cv_ingest_options_default(&cfg->ingest);
}

/* "x.csv" / "x.csv.gz" / "x" → "x<suffix>" (malloc'd, NULL when out of memory) */
static char *replace_ext(const char *path, const char *suffix) {
    size_t n = strlen(path);
    const char *exts[] = {".csv.gz", ".sdf.gz", ".smi.gz", ".tsv", ".csv", ".smi",
                          ".smiles", ".sdf",    ".sd",     ".txt", ".cvds"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && strcmp(path + n - k, exts[i]) == 0) {
            n -= k;
            break;
        }
    }
    char *out = malloc(n + strlen(suffix) + 1);
    if (!out) return NULL;
    memcpy(out, path, n);
    strcpy(out + n, suffix);
    return out;
}

/* Works out the output paths and checks that every output can be written. */
static CvStatus prepare_outputs(const CvIngestConfig *c, CvIngestResult *res, CvError *err) {
    res->output = c->output ? strdup(c->output) : replace_ext(c->input, ".cvds");
    if (res->output)
        res->rejects = c->rejects ? strdup(c->rejects) : replace_ext(res->output, ".rejects.csv");
    if (!res->output || !res->rejects) return cv_error_set(err, CV_ERR_NOMEM, "out of memory");
    CvStatus st = cv_output_check(res->output, err);
    if (!st) st = cv_output_check(res->rejects, err);
    if (!st && c->vocab_out) st = cv_output_check(c->vocab_out, err);
    return st;
}

static CvStatus save(const CvIngestConfig *c, const CvDataset *ds, CvIngestResult *res,
                     CvError *err) {
    CvStatus st = cv_mkdir_parents(res->output, err);
    if (!st) st = cv_dataset_save(ds, res->output, err);
    if (!st && c->vocab_out) st = cv_vocab_save(&ds->vocab, c->vocab_out, err);
    if (st) return st;
    res->n = ds->n;
    memcpy(res->count, ds->count, sizeof res->count);
    res->T = ds->T;
    res->V = ds->V;
    res->P = ds->P;
    res->unk_rows = ds->unk_rows;
    return CV_OK;
}

/* The hooks as cv_ingest_csv's batch callback. */
static int on_batch(void *user, size_t rows) {
    const CvHooks *h = user;
    cv_hooks_progress(h, rows, 0, NULL);
    return cv_hooks_interrupted(h);
}

CvStatus cv_ingest(const CvIngestConfig *c, const CvHooks *h, CvIngestResult *res, CvError *err) {
    memset(res, 0, sizeof *res);
    if (!c->output && !strcmp(c->input, "-"))
        return cv_error_set(err, CV_ERR_INVALID, "ingest: reading stdin needs an output path");
    if (c->ingest.unk_ok && !c->vocab)
        return cv_error_set(err, CV_ERR_INVALID,
                            "ingest: unknown tokens as <unk> need a vocabulary");
    CvVocab vocab = {0};
    CvDataset ds = {0};
    IngestOptions o = c->ingest;
    CvStatus st = prepare_outputs(c, res, err);
    if (!st && c->vocab) st = cv_vocab_load(&vocab, c->vocab, err);
    if (!st) {
        o.vocab = c->vocab ? &vocab : NULL;
        o.reject_path = res->rejects;
        o.train_files = c->train_extra.v;
        o.n_train_files = c->train_extra.n;
        o.on_batch = on_batch;
        o.user = (void *)h;
        st = cv_ingest_csv(c->input, &o, &ds, &res->stats, err);
        /* a read that the signal cut short is a stop too, not an error */
        res->interrupted = st ? cv_hooks_interrupted(h) : 0;
        if (res->interrupted) {
            cv_error_clear(err);
            st = CV_OK;
        }
        res->counted = st == CV_ERR_EMPTY;
    }
    if (!st && !res->interrupted) {
        st = save(c, &ds, res, err);
        res->counted = !st;
    }
    cv_dataset_free(&ds);
    cv_vocab_free(&vocab);
    return st;
}

void cv_ingest_result_json(const CvIngestConfig *c, const CvIngestResult *r, CvJson *j) {
    const IngestStats *s = &r->stats;
    cv_json_begin_object(j);
    cv_json_kv_string(j, "input", c->input);
    cv_json_kv_string(j, "output", r->output);
    const char *names[] = {"rows", "accepted", "rejected", "duplicates"};
    size_t counts[] = {s->rows, s->accepted, s->rejected, s->duplicates};
    for (size_t k = 0; k < 4; k++) cv_json_kv_int(j, names[k], (int64_t)counts[k]);
    cv_json_kv_double(j, "seconds", s->seconds);
    cv_json_key(j, "rejects_by_kind");
    cv_json_begin_object(j);
    for (int k = 0; k < INGEST_NKINDS; k++)
        cv_json_kv_int(j, cv_ingest_reject_name((IngestReject)k), (int64_t)s->by_kind[k]);
    cv_json_end_object(j);
    cv_json_kv_int(j, "train_extra", (int64_t)s->train_extra);
    cv_json_kv_int(j, "standardized", (int64_t)s->standardized);
    const char *dnames[] = {"n", "train", "valid", "test", "T", "V", "P", "unk_rows"};
    size_t dcounts[] = {r->n, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P, r->unk_rows};
    for (size_t k = 0; k < 8; k++) cv_json_kv_int(j, dnames[k], (int64_t)dcounts[k]);
    cv_json_end_object(j);
}

CvStatus cv_ingest_result_write(FILE *fp, const CvIngestConfig *c, const CvIngestResult *r,
                                int json, CvError *err) {
    const IngestStats *s = &r->stats;
    if (json) {
        CvJson j = {0};
        cv_ingest_result_json(c, r, &j);
        const char *text = cv_json_text(&j, err);
        if (text) fprintf(fp, "%s\n", text);
        cv_json_free(&j);
        return text ? CV_OK : err->code;
    }
    fputs("input,output,rows,accepted,rejected,duplicates,seconds,train,valid,test,T,V,P\n", fp);
    cv_csv_str(fp, c->input);
    fputc(',', fp);
    cv_csv_str(fp, r->output);
    fprintf(fp, ",%zu,%zu,%zu,%zu,%.3f,%zu,%zu,%zu,%zu,%zu,%zu\n", s->rows, s->accepted,
            s->rejected, s->duplicates, s->seconds, r->count[0], r->count[1], r->count[2], r->T,
            r->V, r->P);
    return CV_OK;
}

void cv_ingest_summary(const CvIngestConfig *c, const CvIngestResult *r, int written, FILE *fp) {
    const IngestStats *s = &r->stats;
    fprintf(fp, "%s: %zu rows = %zu accepted + %zu rejected + %zu duplicates (%.2f s)\n", c->input,
            s->rows, s->accepted, s->rejected, s->duplicates, s->seconds);
    for (int k = 0; k < INGEST_NKINDS; k++)
        if (s->by_kind[k])
            fprintf(fp, "  rejected %-22s %zu\n", cv_ingest_reject_name((IngestReject)k),
                    s->by_kind[k]);
    if (c->train_extra.n)
        fprintf(fp, "  %zu accepted rows from --train-extra, all in the train split\n",
                s->train_extra);
    if (c->ingest.standardize || c->ingest.tautomer)
        fprintf(fp, "  standardization changed %zu of the rows kept\n", s->standardized);
    if (s->rejected) fprintf(fp, "  reject report: %s\n", r->rejects);
    if (written)
        fprintf(fp, "  wrote %s: N=%zu (train %zu, valid %zu, test %zu) T=%zu V=%zu P=%zu%s\n",
                r->output, r->n, r->count[0], r->count[1], r->count[2], r->T, r->V, r->P,
                r->unk_rows ? " (some valid/test rows hold <unk>)" : "");
}

void cv_ingest_result_free(CvIngestResult *res) {
    free(res->output);
    free(res->rejects);
    memset(res, 0, sizeof *res);
}
