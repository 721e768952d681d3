/* options.h — one option table per command. The table is the single description of a
 * command's options: it generates getopt_long's long options and short-option string,
 * the --help text, and the JSON config stored with the command's run. A command fills a
 * struct of argument values with its defaults, hands the struct and its CliCommand to
 * cli_options_parse, and reads the parsed values back from the struct.
 *
 * An option names the field it sets by offset and how to parse it by a CliOptType, so a
 * command with an option of its own kind (a schedule name, a list) adds a CliOptType
 * instead of a switch case. */
#ifndef CHEMVAE_CLI_OPTIONS_H
#define CHEMVAE_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "chemvae/core/json.h"

/* How an option's argument is parsed and stored. */
typedef struct CliOptType {
    int has_arg;         /* 0: a flag (sets an int to 1), 1: takes an argument */
    const char *metavar; /* shown in --help when the option names none */
    /* Parses `arg` into `field`; 0, or -1 after printing a usage error naming cmd and opt. */
    int (*parse)(const char *cmd, const char *opt, const char *arg, void *field);
    /* Writes the field's value as the JSON value of the current key (null when unset). */
    void (*to_json)(CvJson *j, const void *field);
} CliOptType;

/* int flag set to 1 */
extern const CliOptType CLI_FLAG;
/* long >= 0 */
extern const CliOptType CLI_LONG;
/* finite double */
extern const CliOptType CLI_DOUBLE;
/* double >= 0 (a decoding temperature; 0 = greedy) */
extern const CliOptType CLI_TEMPERATURE;
/* const char * borrowed from argv */
extern const CliOptType CLI_STRING;
/* int: none / syntax / valence (cv_smiles_constrain_parse) */
extern const CliOptType CLI_CONSTRAIN;
/* long in 1..CV_MAX_RESCUE */
extern const CliOptType CLI_RESCUE;
/* int in 0..INT_MAX */
extern const CliOptType CLI_INT;
/* size_t >= 0 */
extern const CliOptType CLI_SIZE;
/* uint64_t >= 0 */
extern const CliOptType CLI_U64;
/* finite float, stored as the shortest decimal that reads back to the same float (0.001,
 * not 0.0010000000474974513) */
extern const CliOptType CLI_FLOAT;

enum {
    CLI_OPT_NOCONFIG = 1, /* not stored in the run's config (paths of outputs, threads, DB) */
};

typedef struct {
    const char *name;       /* long name without "--"; NULL: short only */
    char short_name;        /* 0: long only */
    const CliOptType *type; /* how the argument is parsed */
    size_t offset;          /* of the field in the command's argument struct */
    const char *metavar;    /* NULL: the type's */
    const char *help;       /* one or more lines separated by '\n' */
    unsigned flags;         /* CLI_OPT_* */
    const char *key;        /* key in the stored config; NULL: name with '-' as '_' */
} CliOpt;

typedef struct CliCommand {
    const char *name;     /* "sample" */
    const char *synopsis; /* usage line after "chemvae <name> ", e.g. "[options] FILE" */
    const char *intro;    /* lines printed between the usage line and the options, or NULL */
    const CliOpt *opts;   /* the table */
    size_t n_opts;        /* its length */
    const char *epilog;   /* lines printed after the options (outputs), or NULL */
    int min_operands;     /* positional arguments the command takes */
    int max_operands;     /* -1: any number */
} CliCommand;

/* What cli_options_parse returns besides CLI_OK / CLI_USAGE: --help was printed. */
#define CLI_HELP_SHOWN (-1)

/* Parses argv (argv[0] = the command name) by c's table into `args`, whose fields hold
 * their defaults. --help / -h print the help to stdout and return CLI_HELP_SHOWN; an
 * unknown option, a bad value or a wrong number of operands prints a usage error and
 * returns CLI_USAGE; else CLI_OK with *first_operand = argv index of the first operand
 * (NULL-able when the command takes none). */
int cli_options_parse(const CliCommand *c, int argc, char **argv, void *args, int *first_operand);

/* Prints c's help: usage line, intro, one entry per option (help aligned at column 24),
 * epilog. */
void cli_options_help(const CliCommand *c, FILE *out);

/* Writes one member per option of c without CLI_OPT_NOCONFIG (its key: the parsed value)
 * into the open JSON object j; the caller adds its own members before closing it. */
void cli_options_config(const CliCommand *c, const void *args, CvJson *j);

/* One table entry; optional fields (.flags, .key) follow as designated initializers:
 * CLI_OPT("json", 0, CLI_FLAG, offsetof(Args, json), NULL, "JSON output", .flags = ...). */
#define CLI_OPT(NAME, SHORT, TYPE, OFFSET, METAVAR, HELP, ...)                                     \
    {                                                                                              \
        .name = (NAME), .short_name = (SHORT), .type = &(TYPE), .offset = (OFFSET),                \
        .metavar = (METAVAR), .help = (HELP), __VA_ARGS__                                          \
    }

/* Builds a command's CliCommand.opts / n_opts pair from a static array. */
#define CLI_TABLE(arr) (arr), (sizeof(arr) / sizeof((arr)[0]))

#endif
