/* pngstat.c — measures a PNG screenshot for tests/check-html-render.sh: prints
 * "WIDTH HEIGHT DISTINCT_COLOURS NONBACKGROUND_PIXELS" where background is white or the
 * report's page colour #fafafa. Reads 8-bit RGB/RGBA non-interlaced PNGs (what Chromium
 * writes); exits 1 with a message on anything else. Colours are counted exactly with a
 * 2^24-bit set. Built by the script with `cc pngstat.c -lz` (zlib inflates IDAT). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int die(const char *msg) {
    fprintf(stderr, "pngstat: %s\n", msg);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) return die("usage: pngstat FILE.png");
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) return die("cannot open the file");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size), *idat = malloc((size_t)size);
    if (!data || !idat || fread(data, 1, (size_t)size, fp) != (size_t)size)
        return die("cannot read the file");
    fclose(fp);
    if (size < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8)) return die("not a PNG");
    uint32_t w = 0, h = 0, bpp = 0;
    size_t nidat = 0;
    for (long pos = 8; pos + 12 <= size;) {
        uint32_t n = be32(data + pos);
        const unsigned char *kind = data + pos + 4, *body = data + pos + 8;
        if (pos + 12 + (long)n > size) return die("truncated chunk");
        if (!memcmp(kind, "IHDR", 4)) {
            w = be32(body), h = be32(body + 4);
            if (body[8] != 8 || (body[9] != 2 && body[9] != 6) || body[12])
                return die("not 8-bit RGB(A) non-interlaced");
            bpp = body[9] == 2 ? 3 : 4;
        } else if (!memcmp(kind, "IDAT", 4)) {
            memcpy(idat + nidat, body, n);
            nidat += n;
        }
        pos += 12 + (long)n;
    }
    if (!w || !h) return die("no IHDR");
    size_t stride = (size_t)w * bpp;
    uLongf rawlen = (uLongf)((stride + 1) * h);
    unsigned char *raw = malloc(rawlen), *prev = calloc(stride, 1);
    uint8_t *seen = calloc(1u << 21, 1);
    if (!raw || !prev || !seen) return die("out of memory");
    if (uncompress(raw, &rawlen, idat, (uLong)nidat) != Z_OK || rawlen != (stride + 1) * h)
        return die("bad image data");
    size_t colours = 0, nonbg = 0;
    for (uint32_t y = 0; y < h; y++) {
        unsigned char f = raw[y * (stride + 1)], *line = raw + y * (stride + 1) + 1;
        for (size_t x = 0; x < stride; x++) {
            int a = x >= bpp ? line[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
            if (f == 1) line[x] = (unsigned char)(line[x] + a);
            else if (f == 2) line[x] = (unsigned char)(line[x] + b);
            else if (f == 3) line[x] = (unsigned char)(line[x] + (a + b) / 2);
            else if (f == 4) {
                int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
                line[x] = (unsigned char)(line[x] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
            }
        }
        for (size_t x = 0; x < stride; x += bpp) {
            uint32_t rgb = (uint32_t)line[x] << 16 | (uint32_t)line[x + 1] << 8 | line[x + 2];
            if (!(seen[rgb >> 3] & (1u << (rgb & 7)))) {
                seen[rgb >> 3] |= (uint8_t)(1u << (rgb & 7));
                colours++;
            }
            if (rgb != 0xffffff && rgb != 0xfafafa) nonbg++;
        }
        memcpy(prev, line, stride);
    }
    printf("%u %u %zu %zu\n", w, h, colours, nonbg);
    free(data);
    free(idat);
    free(raw);
    free(prev);
    free(seen);
    return 0;
}
