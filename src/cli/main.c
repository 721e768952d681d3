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

#define DECLARE_WEAK(name, summary) int cmd_##name(int argc, char **argv) __attribute__((weak));
CLI_COMMANDS(DECLARE_WEAK)
#undef DECLARE_WEAK

#define ENTRY(name, summary) {#name, summary, cmd_##name},
static const struct {
    const char *name, *summary;
    int (*fn)(int argc, char **argv); /* NULL: not in this build */
} COMMANDS[] = {CLI_COMMANDS(ENTRY)};
#undef ENTRY
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out) {
    fprintf(out, "usage: chemvae <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-12s %s%s\n", COMMANDS[i].name, COMMANDS[i].summary,
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

/* 1 when arg is `--WORD`, `-LETTER` or `WORD`. */
static int is_flag(const char *arg, const char *word, const char *letter) {
    return (arg[0] == '-' && arg[1] == '-' && !strcmp(arg + 2, word)) || !strcmp(arg, letter) ||
           !strcmp(arg, word);
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : "";
    int help = is_flag(cmd, "help", "-h"), version = is_flag(cmd, "version", "-V");
    if (help) usage(stdout);
    if (version) printf("chemvae %s (commit %s)\n", cv_version(), cv_git_commit());
    if (help || version) return finish_stdout(NULL, CLI_OK);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, COMMANDS[i].name) != 0) continue;
        if (COMMANDS[i].fn) return finish_stdout(cmd, COMMANDS[i].fn(argc - 1, argv + 1));
        fprintf(stderr, "chemvae: '%s' is not part of this build\n", cmd);
        return CLI_ERROR;
    }
    if (argc > 1) fprintf(stderr, "chemvae: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
