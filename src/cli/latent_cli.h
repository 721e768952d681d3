/* latent_cli.h — what `sample`, `optimize` and `interpolate` share: printing molecules,
 * their scores and their failure classes. */
#ifndef CHEMVAE_CLI_LATENT_CLI_H
#define CHEMVAE_CLI_LATENT_CLI_H

#include <stdio.h>

#include "chemvae/latent/latent.h"

/* Prints ", failures: syntax 3, ring 1, ..." (the non-zero classes) to fp; nothing if none. */
void cli_print_failures(FILE *fp, const size_t *counts);

/* Prints "mw,logp,qed,sa,penalized_logp" values of s as CSV fields (leading comma each) or
 * JSON members (", \"mw\": ..."). */
void cli_print_scores(FILE *fp, const ChemScores *s, int json);

/* Prints a JSON string literal. */
void cli_print_json_string(FILE *fp, const char *s);

#endif
