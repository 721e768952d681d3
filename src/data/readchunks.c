/* readchunks.c — a file in chunks through zlib (see data_internal.h). zlib's gzread reads
 * plain files as they are, so a data set shipped as .csv.gz or .sdf.gz is read like a plain
 * one, without a temporary copy. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data_internal.h"

enum { CHUNK = 1 << 16 };

/* What went wrong after a short read: CV_OK at the end of the stream. */
static CvStatus read_error(gzFile gz, const char *path, CvError *err) {
    int zerr;
    const char *msg = gzerror(gz, &zerr);
    if (zerr == Z_OK || zerr == Z_STREAM_END) return CV_OK;
    return cv_error_set(err, CV_ERR_IO, "%s: read error: %s", path,
                        zerr == Z_ERRNO ? strerror(errno) : msg);
}

CvStatus cv_data_read_chunks(const char *path, CvDataChunkFn fn, void *user, CvError *err) {
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY);
    if (fd < 0) return cv_error_set(err, CV_ERR_IO, "%s: %s", path, strerror(errno));
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
    }
    char *buf = malloc(CHUNK);
    CvStatus st = buf ? CV_OK : cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory", path);
    while (st == CV_OK) {
        int got = gzread(gz, buf, CHUNK);
        if (got < 0) {
            st = read_error(gz, path, err);
            if (!st) st = cv_error_set(err, CV_ERR_IO, "%s: read error", path);
            break;
        }
        if (got) st = fn(user, buf, (size_t)got, err);
        if (got < CHUNK) {
            if (st == CV_OK) st = read_error(gz, path, err);
            break;
        }
    }
    free(buf);
    gzclose(gz);
    return st;
}
