/* latent_cli.c — helpers shared by the latent-space commands (see latent_cli.h).
 * Generations are stored one decode batch per transaction (store_insert_generations), so a
 * killed command keeps every batch it committed and the run's counts stay consistent with
 * the rows present. */
#include "latent_cli.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chemvae/csvin.h"
#include "cli.h"

void cli_print_failures(FILE *fp, const size_t *counts) {
    const char *sep = ", failures:";
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) {
        if (!counts[f]) continue;
        fprintf(fp, "%s %s %zu", sep, smiles_failure_name((SmilesFailure)f), counts[f]);
        sep = ",";
    }
}

CvStatus cli_finish_run(Store *db, int64_t run_id, const CvMetric *mt, size_t n, CvError *err) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(mt[i].v)) continue;
        CvStatus st = store_insert_eval_metric(db, run_id, mt[i].name, mt[i].v, err);
        if (st) return st;
    }
    return store_run_finish(db, run_id, STORE_RUN_OK, err);
}

void cli_print_scores(FILE *fp, const ChemScores *s, int json) {
    if (json)
        fprintf(
            fp,
            ", \"mw\": %.4f, \"logp\": %.4f, \"qed\": %.4f, \"sa\": %.4f, \"penalized_logp\": %.4f",
            s->mw, s->logp, s->qed, s->sa, s->penalized_logp);
    else fprintf(fp, ",%.4f,%.4f,%.4f,%.4f,%.4f", s->mw, s->logp, s->qed, s->sa, s->penalized_logp);
}

void cli_print_json_string(FILE *fp, const char *s) {
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(fp, "\\%c", *p);
        else if (*p < 0x20) fprintf(fp, "\\u%04x", *p);
        else fputc(*p, fp);
    }
    fputc('"', fp);
}
