/* latent_cli.c — what the latent-space commands share (see latent_cli.h): a job's set-up
 * and tear-down, the summary lines' run. */
#include "latent_cli.h"

#include <string.h>

#include "chemvae/chem/chem.h"

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

void cli_print_run_end(const CvHooks *h) {
    /* the store's name for the DB: a PostgreSQL URI shows no password */
    if (h->db) fprintf(stderr, "; run %lld in %s", (long long)h->run_id, cv_store_path(h->db));
    fputc('\n', stderr);
}
