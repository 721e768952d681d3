/* runcmd.h — run a shell command from a test and capture its stdout (for the CLI tests
 * that drive $BUILD/chemvae end to end). */
#ifndef CHEMVAE_TEST_RUNCMD_H
#define CHEMVAE_TEST_RUNCMD_H

/* Runs `cmd` with /bin/sh (popen); stores its whole stdout, NUL-terminated and malloc'd,
 * in *out when out is not NULL (caller frees). Returns the exit code, or -1 when the
 * command could not be run or did not exit normally. */
int runcmd_capture(const char *cmd, char **out);

#endif
