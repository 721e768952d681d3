/* fuzz_tmpfile.h — for fuzz targets of parsers that read a path: the input bytes are
 * written to one file per process under /dev/shm (memory: several times the executions
 * per second of a disk-backed /tmp) or /tmp where there is none, removed at exit
 * (libFuzzer exit()s). */
#ifndef CHEMVAE_FUZZ_TMPFILE_H
#define CHEMVAE_FUZZ_TMPFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_tmp_path[96];

static void fuzz_tmp_cleanup(void) {
    if (fuzz_tmp_path[0]) unlink(fuzz_tmp_path);
}

/* Writes data to this process's file (named after `what`) and returns its path, or NULL. */
static const char *fuzz_tmp_write(const char *what, const uint8_t *data, size_t size) {
    if (!fuzz_tmp_path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/chemvae-fuzz-%s-%ld", dir, what,
                 (long)getpid());
        atexit(fuzz_tmp_cleanup);
    }
    FILE *fp = fopen(fuzz_tmp_path, "wb");
    if (!fp) return NULL;
    size_t put = size ? fwrite(data, 1, size, fp) : 0;
    if (fclose(fp) != 0 || put != size) return NULL;
    return fuzz_tmp_path;
}

#endif
