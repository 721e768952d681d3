/* main.c — `chemvae <command> [options]`: dispatches to src/cli/cmd_<command>.c.
 * Each command is declared weak so that the table names every command of README "What it does"
 * while the program links whichever command files exist; a command whose file is absent from this
 * build says so instead of failing to link.
 *
 * Every byte a command printed is checked before the exit status is returned: stdout is
 * flushed, and a write error (a full disk, /dev/full, a closed file) turns the status into
 * CLI_ERROR with a message, so `chemvae encode ... > out.csv` never exits 0 with a
 * truncated file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CLI_WEAK_COMMANDS
#include "chemvae/core/version.h"
#include "cli.h"

typedef int (*CommandFn)(int argc, char **argv);

#define COMMAND(name) int cmd_##name(int argc, char **argv) __attribute__((weak));
CLI_COMMANDS(COMMAND)
#undef COMMAND

static const struct {
    const char *name;
    CommandFn fn;
    const char *help;
} COMMANDS[] = {
    {"ingest", cmd_ingest, "CSV -> validated, canonical, tokenized dataset (.cvds)"},
    {"vocab", cmd_vocab, "build or show a SMILES token vocabulary"},
    {"train", cmd_train, "train the VAE on a dataset"},
    {"eval", cmd_eval, "reconstruction, validity, uniqueness, novelty of a checkpoint"},
    {"encode", cmd_encode, "SMILES -> latent mean (CSV)"},
    {"decode", cmd_decode, "latent vectors -> SMILES"},
    {"sample", cmd_sample, "generate molecules from the latent space"},
    {"optimize", cmd_optimize, "gradient ascent on predicted properties in latent space"},
    {"interpolate", cmd_interpolate, "walk between two molecules in latent space"},
    {"score", cmd_score, "validity, canonical SMILES, MW, logP, QED, SA, penalized logP"},
    {"query", cmd_query, "query the results database (read-only)"},
    {"report", cmd_report, "self-contained HTML report of runs and molecules"},
    {"pipeline", cmd_pipeline, "run a staged pipeline file"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out) {
    fprintf(out, "usage: chemvae <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-12s %s%s\n", COMMANDS[i].name, COMMANDS[i].help,
                COMMANDS[i].fn ? "" : " (not in this build)");
    fprintf(out, "\n'chemvae <command> --help' shows a command's options; 'chemvae --version' the "
                 "version.\n");
}

/* Flushes stdout; on a write error reports it and returns CLI_ERROR, else rc. */
static int finish_stdout(const char *cmd, int rc) {
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    fprintf(stderr, "chemvae%s%s: writing standard output failed: %s\n", cmd ? " " : "",
            cmd ? cmd : "", errno ? strerror(errno) : "write error");
    return CLI_ERROR;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return finish_stdout(NULL, CLI_OK);
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("chemvae %s (commit %s)\n", cv_version(), cv_git_commit());
        return finish_stdout(NULL, CLI_OK);
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i].name) != 0) continue;
        if (!COMMANDS[i].fn) {
            fprintf(stderr, "chemvae: '%s' is not part of this build\n", argv[1]);
            return CLI_ERROR;
        }
        return finish_stdout(argv[1], COMMANDS[i].fn(argc - 1, argv + 1));
    }
    fprintf(stderr, "chemvae: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
