/* version.h — chemvae's version: compile-time macros of the headers a program was built
 * against, and run-time functions of the library it runs with (they differ when a program
 * built against one release loads another's shared library).
 *
 * The version follows semantic versioning: MAJOR changes break the API or the file
 * formats, MINOR adds to them, PATCH fixes. The git commit is the build's `git rev-parse
 * --short=12 HEAD` ("unknown" outside a git checkout), and a "+" suffix marks a build from
 * a tree with uncommitted changes. */
#ifndef CHEMVAE_VERSION_H
#define CHEMVAE_VERSION_H

#define CHEMVAE_VERSION_MAJOR 0
#define CHEMVAE_VERSION_MINOR 1
#define CHEMVAE_VERSION_PATCH 0
#define CHEMVAE_VERSION_STRING "0.1.0"

/* "MAJOR.MINOR.PATCH" of the library in use. */
const char *cv_version(void);
/* The git commit the library was built from (see above); never NULL. */
const char *cv_git_commit(void);

#endif
