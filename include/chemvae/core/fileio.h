/* fileio.h — whole-file reads, line-by-line reads, crash-safe writes (temp file + fsync +
 * rename), CRC-32 and FNV-1a hashing. Used by every module that stores a file, so that a
 * crash or a full disk never leaves a half-written vocab, dataset or checkpoint. */
#ifndef CHEMVAE_FILEIO_H
#define CHEMVAE_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chemvae/core/error.h"

/* Reads all of `path` into a malloc'd buffer (NUL-terminated, *len excludes the NUL).
 * Caller frees *data. */
CvStatus cv_read_file(const char *path, char **data, size_t *len, CvError *err);

/* A text input read line by line (a file of SMILES, of latent vectors), of any line length. */
typedef struct {
    FILE *fp;         /* stdin or the opened file; NULL when closed */
    const char *name; /* "stdin" or the path, for messages (borrowed) */
    char *line;       /* the current line, newline kept, NUL-terminated (owned) */
    size_t cap;       /* bytes allocated at line */
    long lineno;      /* 1-based number of the current line */
} CvLines;

/* Opens `path` for reading (NULL or "-" = stdin). CV_ERR_IO naming the path when it
 * cannot be opened or is a directory; cv_lines_close is safe on *in either way. */
CvStatus cv_lines_open(CvLines *in, const char *path, CvError *err);
/* Reads the next line into in->line (overwritten) and counts it; returns its length in
 * bytes, or -1 at the end of the input (or on a read error). */
long cv_lines_next(CvLines *in);
/* Frees the line buffer and closes the file (never stdin). Safe on a zeroed CvLines. */
void cv_lines_close(CvLines *in);

/* Atomic writer: cv_atomic_open creates "<path>.tmp.<pid>" next to `path`;
 * cv_atomic_commit flushes, fsyncs, checks every write succeeded (ENOSPC is reported
 * with the path) and renames over `path`; cv_atomic_abort deletes the temp file.
 * On any failure the previous `path` is left untouched.
 * What is at `path` is respected: a symlink (chain) is written through, the temp file
 * then sits next to the final target and replaces it, so the link stays a link; a
 * character or block device, FIFO or socket is written directly as a stream (no temp
 * file, no fsync, no rename: /dev/null stays /dev/null); a directory is refused.
 * Temp files "<target>.tmp.<pid>" of processes that no longer exist (a killed run) are
 * removed when the same target is opened again. */
typedef struct {
    FILE *fp;
    int stream;      /* writing `path` itself (a device, FIFO or socket) */
    char path[4096]; /* the target, symlinks resolved */
    char tmp[4160];
} CvAtomicFile;

/* The directory part of `path` into dir[cap] ("." for a bare name, "/" for a file in /).
 * Returns 0, or -1 when it does not fit. */
int cv_path_dir(const char *path, char *dir, size_t cap);

/* Checks before any work that `path` can be an output: not a directory, and its directory
 * exists (or can be created) and is writable. CV_ERR_IO naming the path otherwise. */
CvStatus cv_output_check(const char *path, CvError *err);

CvStatus cv_atomic_open(CvAtomicFile *af, const char *path, CvError *err);
CvStatus cv_atomic_commit(CvAtomicFile *af, CvError *err);
void cv_atomic_abort(CvAtomicFile *af);

/* Writes n bytes; returns CV_ERR_IO with the path and strerror on short write. */
CvStatus cv_atomic_write(CvAtomicFile *af, const void *buf, size_t n, CvError *err);

/* The whole file at once: open, write the n bytes of buf, commit (abort on a failed
 * write). `path` then holds exactly buf, or, on any error, what it held before. */
CvStatus cv_atomic_write_file(const char *path, const void *buf, size_t n, CvError *err);

/* CRC-32 (IEEE, zlib-compatible). Chain with crc = cv_crc32(crc, buf, n), start at 0. */
uint32_t cv_crc32(uint32_t crc, const void *buf, size_t n);

/* FNV-1a 64-bit. Chain with h = cv_fnv1a64(h, buf, n), start at CV_FNV64_INIT. */
#define CV_FNV64_INIT 0xcbf29ce484222325ULL
uint64_t cv_fnv1a64(uint64_t h, const void *buf, size_t n);

/* Hash of a whole file as 16 lowercase hex chars in out[17]. */
CvStatus cv_hash_file(const char *path, char out[17], CvError *err);

/* Creates the parent directories of `path` (like mkdir -p of dirname). */
CvStatus cv_mkdir_parents(const char *path, CvError *err);

#endif
