/* latent_cli.c — what the latent-space commands share (see latent_cli.h): the --json
 * option, a job's set-up and tear-down, result rows as CSV or JSON (the CSV and JSON
 * writers of core do the quoting and escaping), failure classes. */
#include "latent_cli.h"

#include <math.h>
#include <string.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/csvout.h"

static const CvParam JSON_PARAMS[] = {
    CV_PARAM("json", 0, CV_PARAM_SWITCH, 0, NULL, "JSON instead of CSV",
             .flags = CV_PARAM_NOCONFIG),
};
const CvParamTable cli_json_params = CV_PARAM_TABLE(JSON_PARAMS);

int cli_job_parse(const struct CliCommand *c, int argc, char **argv, void *args,
                  CvModelOptions *model, int *first_operand) {
    model->path = cli_default_model();
    int rc = cli_options_parse(c, argc, argv, args, first_operand);
    if (!rc && model->batch < 1) rc = cli_usage_error(c->name, "--batch must be positive");
    return rc;
}

CvStatus cli_job_start(CliJob *j, const char *cmd, const CvModelOptions *model, long threads) {
    memset(j, 0, sizeof *j); /* a model that fails to load is safe to free */
    cli_set_threads((int)threads);
    cv_chem_log_rdkit(0);
    cli_hooks_init(&j->h, &j->watch, cmd);
    return cv_model_load_with(&j->m, model, &j->err);
}

CvStatus cli_job_record(CliJob *j, const struct CliCommand *c, const void *args,
                        const CliRunOptions *run, uint64_t seed) {
    return cli_record(c, args, run, c->name, &j->m, (int64_t)seed, &j->h, &j->err);
}

int cli_job_end(CliJob *j, const char *cmd, CvStatus st, int rc) {
    cli_watch_finish(&j->watch);
    cv_store_close(j->h.db);
    j->h.db = NULL;
    cv_model_free(&j->m);
    return st ? cli_report(cmd, &j->err) : rc;
}

void cli_rows_begin(CliRows *t, FILE *fp, int json, const char *csv_header) {
    *t = (CliRows){.fp = fp, .json = json};
    if (json) fputc('[', fp);
    else fprintf(fp, "%s\n", csv_header);
}

/* Before a field: the row begins with its first one. */
static void next_field(CliRows *t) {
    if (!t->fields && t->json) {
        cv_json_reset(&t->obj);
        cv_json_begin_object(&t->obj);
    }
    if (t->fields++ && !t->json) fputc(',', t->fp);
}

/* A field already formatted (JSON: inserted as it is, NULL: null). */
static void field(CliRows *t, const char *key, const char *text) {
    next_field(t);
    if (t->json) {
        cv_json_key(&t->obj, key);
        if (text) cv_json_raw(&t->obj, text);
        else cv_json_null(&t->obj);
    } else if (text) {
        fputs(text, t->fp);
    }
}

void cli_row_text(CliRows *t, const char *key, const char *s) {
    next_field(t);
    if (t->json) cv_json_kv_string(&t->obj, key, s ? s : "");
    else cv_csv_str(t->fp, s ? s : "");
}

void cli_row_count(CliRows *t, const char *key, size_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", v);
    field(t, key, buf);
}

void cli_row_real(CliRows *t, const char *key, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.4f", v);
    field(t, key, buf);
}

void cli_row_real_or_none(CliRows *t, const char *key, double v) {
    if (isfinite(v)) cli_row_real(t, key, v);
    else field(t, key, NULL);
}

void cli_row_flag(CliRows *t, const char *key, int v) {
    field(t, key, t->json ? (v ? "true" : "false") : (v ? "1" : "0"));
}

void cli_row_scores(CliRows *t, const ChemScores *s) {
    cli_row_real(t, "mw", s->mw);
    cli_row_real(t, "logp", s->logp);
    cli_row_real(t, "qed", s->qed);
    cli_row_real(t, "sa", s->sa);
    cli_row_real(t, "penalized_logp", s->penalized_logp);
}

void cli_row_end(CliRows *t) {
    if (t->json) {
        cv_json_end_object(&t->obj);
        const char *text = cv_json_text(&t->obj, NULL);
        fprintf(t->fp, "%s\n%s", t->rows ? "," : "", text ? text : "{}");
    } else {
        fputc('\n', t->fp);
    }
    t->rows++;
    t->fields = 0;
}

void cli_rows_end(CliRows *t) {
    if (t->json) fputs("\n]\n", t->fp);
    fflush(t->fp);
    cv_json_free(&t->obj);
}

void cli_print_run_end(const CvHooks *h, const char *db_path) {
    if (h->db) fprintf(stderr, "; run %lld in %s", (long long)h->run_id, db_path);
    fputc('\n', stderr);
}

void cli_print_failures(FILE *fp, const size_t *counts) {
    const char *sep = ", failures:";
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) {
        if (!counts[f]) continue;
        fprintf(fp, "%s %s %zu", sep, cv_smiles_failure_name((SmilesFailure)f), counts[f]);
        sep = ",";
    }
}
