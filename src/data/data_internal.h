/* data_internal.h — private to src/data: a file read in chunks through zlib, plain or
 * gzip-compressed alike (detected from the bytes, not the name), for the CSV reader
 * (csvin.c) and the molecule-file reader (molin.c). */
#ifndef CHEMVAE_DATA_INTERNAL_H
#define CHEMVAE_DATA_INTERNAL_H

#include <stddef.h>

#include "chemvae/core/error.h"

/* Takes the next n (> 0) bytes of the file; a non-CV_OK return stops the reading with it. */
typedef CvStatus (*CvDataChunkFn)(void *user, const char *buf, size_t n, CvError *err);

/* Opens `path` ("-" = stdin) and hands its (decompressed) bytes to fn in chunks of up to
 * 64 KiB. CV_ERR_IO naming the path when it cannot be opened or read (a damaged gzip stream
 * included), CV_ERR_NOMEM, or what fn returned. */
CvStatus cv_data_read_chunks(const char *path, CvDataChunkFn fn, void *user, CvError *err);

#endif
