/* model_io.c — see model_io.h. */
#include "model_io.h"

#include "cli.h"

int cli_parse_rescue(const char *cmd, const char *arg, long *k) {
    if (cli_parse_long(cmd, "--rescue", arg, k)) return CLI_USAGE;
    if (*k < 1 || *k > CV_MAX_RESCUE)
        return cli_usage_error(cmd, "--rescue must be in 1..%d, got %ld", CV_MAX_RESCUE, *k);
    return 0;
}

int cli_parse_constrain(const char *cmd, const char *arg, int *mode) {
    if (smiles_constrain_parse(arg, mode) == 0) return 0;
    return cli_usage_error(cmd, "--constrain: unknown mode '%s' (none, syntax, valence)", arg);
}
