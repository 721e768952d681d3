/* fileio.c — see include/chemvae/core/fileio.h.
 * The atomic writer is the redis/kilo pattern: write a sibling temp file, fflush, fsync,
 * rename(2) over the target. rename within one directory is atomic on POSIX, so readers
 * see either the old file or the new one. */
#include "chemvae/core/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

CvStatus cv_read_file(const char *path, char **data, size_t *len, CvError *err) {
    *data = NULL;
    if (len) *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return cv_error_set(err, CV_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) goto nomem;
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) goto nomem;
        buf = nb;
    }
    if (ferror(fp)) {
        int e = errno;
        free(buf);
        fclose(fp);
        return cv_error_set(err, CV_ERR_IO, "%s: read error: %s", path, strerror(e));
    }
    fclose(fp);
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return CV_OK;
nomem:
    free(buf);
    fclose(fp);
    return cv_error_set(err, CV_ERR_NOMEM, "%s: out of memory reading file", path);
}

CvStatus cv_lines_open(CvLines *in, const char *path, CvError *err) {
    memset(in, 0, sizeof *in);
    int use_stdin = !path || !strcmp(path, "-");
    in->name = path ? path : "stdin";
    in->fp = use_stdin ? stdin : fopen(path, "r");
    if (!in->fp) return cv_error_set(err, CV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (!use_stdin && fstat(fileno(in->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(in->fp);
        in->fp = NULL;
        return cv_error_set(err, CV_ERR_IO, "%s: is a directory, not a file of lines", path);
    }
    return CV_OK;
}

long cv_lines_next(CvLines *in) {
    ssize_t got = getline(&in->line, &in->cap, in->fp);
    if (got >= 0) in->lineno++;
    return (long)got;
}

void cv_lines_close(CvLines *in) {
    free(in->line);
    if (in->fp && in->fp != stdin) fclose(in->fp);
    memset(in, 0, sizeof *in);
}

/* Follows the symlink chain at `path` (the last link may dangle) into out[cap]: the path
 * a write should finally replace. 0, or -1 with errno (ELOOP, ENAMETOOLONG, ...). */
static int resolve_links(const char *path, char *out, size_t cap) {
    if (strlen(path) >= cap) return errno = ENAMETOOLONG, -1;
    snprintf(out, cap, "%s", path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;
        char target[PATH_MAX];
        ssize_t n = readlink(out, target, sizeof target - 1);
        if (n < 0) return -1;
        target[n] = '\0';
        if (target[0] == '/') {
            if ((size_t)n >= cap) return errno = ENAMETOOLONG, -1;
            memcpy(out, target, (size_t)n + 1);
        } else {
            char *slash = strrchr(out, '/');
            size_t dir = slash ? (size_t)(slash - out) + 1 : 0;
            if (dir + (size_t)n >= cap) return errno = ENAMETOOLONG, -1;
            memcpy(out + dir, target, (size_t)n + 1);
        }
    }
    return errno = ELOOP, -1;
}

int cv_path_dir(const char *path, char *dir, size_t cap) {
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (!slash) return snprintf(dir, cap, ".") < (int)cap ? 0 : -1;
    if (n >= cap) return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return 0;
}

/* Removes "<path>.tmp.<pid>" files whose process is gone (left by a killed writer). */
static void remove_stale_temps(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    if (cv_path_dir(path, dir, sizeof dir)) return;
    DIR *d = opendir(dir);
    if (!d) return;
    size_t bl = strlen(base);
    for (struct dirent *e; (e = readdir(d));) {
        const char *n = e->d_name;
        if (strncmp(n, base, bl) != 0 || strncmp(n + bl, ".tmp.", 5) != 0) continue;
        char *end;
        long pid = strtol(n + bl + 5, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours */
        char full[PATH_MAX + 256];
        snprintf(full, sizeof full, "%s/%s", dir, n);
        unlink(full);
    }
    closedir(d);
}

/* What an output path finally names: target[cap] gets it with symlinks resolved; *stream
 * is 1 for a device, FIFO or socket (written in place), 0 for a regular file or nothing
 * yet. A directory is CV_ERR_IO. The one judgement of cv_atomic_open and cv_output_check. */
static CvStatus output_target(const char *path, char *target, size_t cap, int *stream,
                              CvError *err) {
    if (resolve_links(path, target, cap) != 0)
        return cv_error_set(err, CV_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    *stream = 0;
    if (stat(target, &st) != 0) return CV_OK;
    if (S_ISDIR(st.st_mode))
        return cv_error_set(err, CV_ERR_IO, "%s: is a directory, not a file to write", path);
    *stream = !S_ISREG(st.st_mode);
    return CV_OK;
}

CvStatus cv_atomic_open(CvAtomicFile *af, const char *path, CvError *err) {
    memset(af, 0, sizeof *af);
    CvStatus s = output_target(path, af->path, sizeof af->path, &af->stream, err);
    if (s) return s;
    if (af->stream) {
        af->fp = fopen(af->path, "wb");
        return af->fp ? CV_OK : cv_error_set(err, CV_ERR_IO, "%s: %s", path, strerror(errno));
    }
    remove_stale_temps(af->path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", af->path, (long)getpid());
    af->fp = fopen(af->tmp, "wb");
    if (!af->fp)
        return cv_error_set(err, CV_ERR_IO, "%s: cannot create: %s", af->tmp, strerror(errno));
    return CV_OK;
}

CvStatus cv_output_check(const char *path, CvError *err) {
    char target[4096], dir[4096];
    int stream;
    CvStatus s = output_target(path, target, sizeof target, &stream, err);
    if (s || stream) return s; /* a device or FIFO is written as a stream */
    if ((s = cv_mkdir_parents(target, err))) return s;
    if (cv_path_dir(target, dir, sizeof dir))
        return cv_error_set(err, CV_ERR_IO, "%s: path too long", path);
    if (access(dir, W_OK) != 0)
        return cv_error_set(err, CV_ERR_IO, "%s: cannot write in %s: %s", path, dir,
                            strerror(errno));
    return CV_OK;
}

CvStatus cv_atomic_write(CvAtomicFile *af, const void *buf, size_t n, CvError *err) {
    if (n && fwrite(buf, 1, n, af->fp) != n)
        return cv_error_set(err, CV_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    return CV_OK;
}

CvStatus cv_atomic_commit(CvAtomicFile *af, CvError *err) {
    if (!af->fp) return cv_error_set(err, CV_ERR_IO, "%s: not open", af->path);
    if (af->stream) {
        int sbad = ferror(af->fp) || fflush(af->fp) != 0;
        int se = errno;
        if (fclose(af->fp) != 0 && !sbad) sbad = 1, se = errno;
        af->fp = NULL;
        return sbad ? cv_error_set(err, CV_ERR_IO, "%s: write failed: %s", af->path, strerror(se))
                    : CV_OK;
    }
    int bad = ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0;
    int e = errno;
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    af->fp = NULL;
    if (bad) {
        unlink(af->tmp);
        return cv_error_set(err, CV_ERR_IO, "%s: write failed (%s); previous file kept", af->path,
                            strerror(e));
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        unlink(af->tmp);
        return cv_error_set(err, CV_ERR_IO, "%s: rename failed: %s", af->path, strerror(e));
    }
    return CV_OK;
}

void cv_atomic_abort(CvAtomicFile *af) {
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
    }
    if (af->tmp[0]) unlink(af->tmp);
}

CvStatus cv_atomic_write_file(const char *path, const void *buf, size_t n, CvError *err) {
    CvAtomicFile af;
    CvStatus st = cv_atomic_open(&af, path, err);
    if (st) return st;
    if ((st = cv_atomic_write(&af, buf, n, err))) {
        cv_atomic_abort(&af);
        return st;
    }
    return cv_atomic_commit(&af, err);
}

uint32_t cv_crc32(uint32_t crc, const void *buf, size_t n) {
    /* Byte-wise table lookup; the 1 KiB table is built on the stack per call (no global
     * state) — negligible next to the megabytes of a checkpoint, 8x faster than bit loops. */
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        table[i] = c;
    }
    const unsigned char *p = buf;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

uint64_t cv_fnv1a64(uint64_t h, const void *buf, size_t n) {
    const unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

CvStatus cv_hash_file(const char *path, char out[17], CvError *err) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return cv_error_set(err, CV_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char buf[1 << 15];
    uint64_t h = CV_FNV64_INIT;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) h = cv_fnv1a64(h, buf, got);
    int bad = ferror(fp);
    fclose(fp);
    if (bad) return cv_error_set(err, CV_ERR_IO, "%s: read error", path);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return CV_OK;
}

CvStatus cv_mkdir_parents(const char *path, CvError *err) {
    char buf[4096];
    if (strlen(path) >= sizeof buf) return cv_error_set(err, CV_ERR_INVALID, "path too long");
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash) return CV_OK;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return cv_error_set(err, CV_ERR_IO, "%s: mkdir: %s", buf, strerror(errno));
        *p = '/';
    }
    if (buf[0] && mkdir(buf, 0777) != 0 && errno != EEXIST)
        return cv_error_set(err, CV_ERR_IO, "%s: mkdir: %s", buf, strerror(errno));
    return CV_OK;
}
