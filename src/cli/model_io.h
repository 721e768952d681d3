/* model_io.h — the decoding options the inference commands share (--constrain, --rescue)
 * as getopt helpers and help lines; the model itself is a CvModel (app_model.h). */
#ifndef CHEMVAE_CLI_MODEL_IO_H
#define CHEMVAE_CLI_MODEL_IO_H

#include "chemvae/app_model.h"

/* Parses a --constrain value ("none", "syntax", "valence") into *mode; prints a usage
 * error naming `cmd` and returns CLI_USAGE for anything else, 0 when it parsed. */
int cli_parse_constrain(const char *cmd, const char *arg, int *mode);

/* The help line of --constrain, shared by the decoding commands. */
#define CLI_CONSTRAIN_HELP                                                                         \
    "  --constrain MODE      none | syntax | valence (default): mask tokens that cannot\n"         \
    "                        complete a molecule before each decoding step\n"

/* Parses a --rescue width (1..CV_MAX_RESCUE) into *k; prints a usage error naming `cmd`
 * and returns CLI_USAGE otherwise, 0 when it parsed. */
int cli_parse_rescue(const char *cmd, const char *arg, long *k);
#define CLI_RESCUE_HELP                                                                            \
    "  --rescue K            a greedy decode that is not a molecule is decoded again by a\n"       \
    "                        beam of K, kept when valid (default 20; 1 = off)\n"

#endif
