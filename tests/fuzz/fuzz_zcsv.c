/* fuzz_zcsv.c — libFuzzer target for the latent-vector CSV line parser (`chemvae decode`'s
 * input, cv_latent_parse_z). The first byte picks Z (1..64), the rest is one line: the parser
 * never reads past its NUL, and a line it accepts holds exactly Z finite values, which
 * printed back with %.9g parse to the same floats. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/latent/latent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 8192) return 0;
    size_t Z = 1 + data[0] % 64;
    char *line = malloc(size);
    if (!line) return 0;
    memcpy(line, data + 1, size - 1);
    line[size - 1] = '\0';
    float z[64], back[64];
    if (cv_latent_parse_z(line, z, Z) == 0) {
        char text[64 * 20 + 8];
        size_t k = 0;
        for (size_t i = 0; i < Z; i++) {
            if (!isfinite(z[i])) abort();
            k += (size_t)snprintf(text + k, sizeof text - k, "%s%.9g", i ? "," : "", (double)z[i]);
        }
        if (cv_latent_parse_z(text, back, Z) != 0 || memcmp(z, back, Z * sizeof *z) != 0) abort();
    }
    free(line);
    return 0;
}
