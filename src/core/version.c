/* version.c — the run-time version and build commit (contract in include/chemvae/core/version.h).
 * CHEMVAE_GIT_COMMIT comes from the Makefile's $(BUILD)/gen/git_commit.h, rewritten only
 * when the commit changes, so a new commit rebuilds this file alone. */
#include "chemvae/core/version.h"

#if defined(__has_include)
#if __has_include("git_commit.h")
#include "git_commit.h"
#endif
#endif
#ifndef CHEMVAE_GIT_COMMIT
#define CHEMVAE_GIT_COMMIT "unknown"
#endif

const char *cv_version(void) {
    return CHEMVAE_VERSION_STRING;
}

const char *cv_git_commit(void) {
    return CHEMVAE_GIT_COMMIT;
}
