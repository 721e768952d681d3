/* options.h — a command's options, generated from parameter tables (app_params.h). A
 * command names up to CLI_MAX_TABLES tables, each with the offset of the struct its fields
 * live in inside the command's argument struct: typically the job's own table (its config
 * struct, the part recorded with the run) and the command's table of command-line-only
 * options (output format, --db, --threads). The tables generate getopt_long's options,
 * the --help text and the JSON config stored with the command's run. */
#ifndef CHEMVAE_CLI_OPTIONS_H
#define CHEMVAE_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "chemvae/app/app_params.h"
#include "chemvae/core/json.h"

enum { CLI_MAX_TABLES = 5 };

typedef struct {
    const CvParamTable *table; /* NULL: unused slot */
    size_t base;               /* offset of the table's struct in the argument struct */
} CliTableRef;

typedef struct CliCommand {
    const char *name;     /* "sample" */
    const char *synopsis; /* usage line after "chemvae <name> ", e.g. "[options] FILE" */
    const char *intro;    /* lines printed between the usage line and the options, or NULL */
    CliTableRef tables[CLI_MAX_TABLES]; /* options, in the order --help lists them */
    const char *epilog;                 /* lines printed after the options (outputs), or NULL */
    int min_operands;                   /* positional arguments the command takes */
    int max_operands;                   /* -1: any number */
} CliCommand;

/* What cli_options_parse returns besides CLI_OK / CLI_USAGE: --help was printed. */
#define CLI_HELP_SHOWN (-1)

/* Parses argv (argv[0] = the command name) by c's tables into `args`, whose fields hold
 * their defaults. --help / -h print the help to stdout and return CLI_HELP_SHOWN; an
 * unknown option, a bad value or a wrong number of operands prints a usage error and
 * returns CLI_USAGE; else CLI_OK with *first_operand = argv index of the first operand
 * (NULL-able when the command takes none). */
int cli_options_parse(const CliCommand *c, int argc, char **argv, void *args, int *first_operand);

/* Prints c's help: usage line, intro, one entry per option (help aligned at column 24),
 * epilog. */
void cli_options_help(const CliCommand *c, FILE *out);

/* Writes one member per option without CV_PARAM_NOCONFIG (its key: the parsed value) into
 * the open JSON object j; the caller adds its own members before closing it. */
void cli_options_config(const CliCommand *c, const void *args, CvJson *j);

#endif
