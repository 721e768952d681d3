/* latent_cli.c — printing helpers shared by the latent-space commands (see latent_cli.h). */
#include "latent_cli.h"

void cli_print_failures(FILE *fp, const size_t *counts) {
    const char *sep = ", failures:";
    for (int f = 1; f < SMILES_FAIL_COUNT; f++) {
        if (!counts[f]) continue;
        fprintf(fp, "%s %s %zu", sep, cv_smiles_failure_name((SmilesFailure)f), counts[f]);
        sep = ",";
    }
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
