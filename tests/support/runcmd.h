/* runcmd.h — run a shell command from a test and capture its stdout (for the CLI tests
 * that drive $BUILD/chemvae end to end), plus the setup/teardown those tests share: where
 * the binary is and removing the temp directory. */
#ifndef CHEMVAE_TEST_RUNCMD_H
#define CHEMVAE_TEST_RUNCMD_H

#include <stddef.h>

/* Runs `cmd` with /bin/sh (popen); stores its whole stdout, NUL-terminated and malloc'd,
 * in *out when out is not NULL (caller frees). Returns the exit code, or -1 when the
 * command could not be run or did not exit normally. */
int runcmd_capture(const char *cmd, char **out);

/* runcmd_capture of the command printf(fmt, ...) builds (up to 8 KiB; -1 when longer). */
int runcmd_capturef(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Creates a fresh directory /tmp/PREFIX-XXXXXX (mkdtemp) and writes its path into
 * dir[cap]. Returns 0, or -1 when it could not be created. */
int runcmd_mkdtemp(char *dir, size_t cap, const char *prefix);

/* Writes the absolute path of $BUILD/chemvae into bin[cap] (BUILD from the environment,
 * default "build", taken relative to the working directory unless absolute), so the path
 * stays valid after a `cd`. Returns 0, or -1 when getcwd fails or the path does not fit. */
int runcmd_chemvae_path(char *bin, size_t cap);

/* Number of non-overlapping occurrences of needle (not empty) in hay. */
size_t runcmd_count(const char *hay, const char *needle);

/* Runs a check script's command line `cmd` (its stdout and stderr together) and counts its
 * result lines: *ok the "ok   " lines, *failed the "FAIL" lines. Returns the exit code
 * (runcmd_capture's); the whole output goes to stderr when that is not 0 or a line failed,
 * so the test log says why. */
int runcmd_check(const char *cmd, size_t *ok, size_t *failed);

/* runcmd_check of `bash SCRIPT '$BUILD' 2>&1` (BUILD from the environment, default "build"):
 * the check scripts' usual call. *skipped (NULL-able) receives the number of lines that
 * start with "skip:" (a script that cannot run here says so and exits 0). */
int runcmd_check_script(const char *script, size_t *ok, size_t *failed, size_t *skipped);

/* `rm -rf DIR` (a test's mkdtemp directory). Returns 0 on success, -1 otherwise. */
int runcmd_rmtree(const char *dir);

#endif
