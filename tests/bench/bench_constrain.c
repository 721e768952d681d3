/* bench_constrain.c — the cost of constrained decoding: greedy decoding throughput of a
 * trained checkpoint on prior samples z ~ N(0, I), without and with the valence mask, in
 * alternating rounds (best of each side kept: the machine's speed drifts). Real rows stop at
 * their own <end>, so both sides decode the molecules the model writes.
 *
 * usage: bench_constrain [model.cvae] [n] [rounds]   (default the shipped model, 2048, 3) */
#include <stdio.h>
#include <stdlib.h>

#include "chemvae/model/checkpoint.h"
#include "chemvae/core/progress.h"
#include "chemvae/data/smiles_grammar.h"

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "results/models/zinc24k-small.cvae";
    size_t n = argc > 2 ? (size_t)atoi(argv[2]) : 2048;
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    enum { B = 256 };
    Vae vae;
    CkptMeta meta;
    SmilesGrammar g;
    CvError err = {0};
    if (cv_ckpt_load(path, &vae, &meta, B, 0, NULL, &err) ||
        cv_smiles_grammar_init(&g, (const char *const *)meta.vocab, meta.n_vocab, &err)) {
        fprintf(stderr, "bench_constrain: %s\n", err.msg);
        return 1;
    }
    size_t Z = (size_t)vae.cfg.Z, T = (size_t)vae.cfg.T;
    float *z = malloc(n * Z * sizeof *z);
    int32_t *ids = malloc(B * T * sizeof *ids), *len = malloc(B * sizeof *len);
    if (!z || !ids || !len) return 1;
    CvRng rng;
    cv_rng_init(&rng, 1);
    cv_rng_fill_normal(&rng, z, n * Z);
    double best[2] = {0, 0};
    long tokens[2] = {0, 0};
    for (int r = 0; r < rounds; r++)
        for (int mode = 0; mode < 2; mode++) {
            if (cv_vae_set_constraint(&vae, &g, mode ? SMILES_VALENCE : SMILES_NONE, &err))
                return 1;
            double t0 = cv_now();
            tokens[mode] = 0;
            for (size_t s = 0; s < n; s += B) {
                size_t b = n - s < B ? n - s : B;
                cv_vae_decode(&vae, z + s * Z, b, 0.0f, NULL, ids, len);
                for (size_t i = 0; i < b; i++) tokens[mode] += len[i];
            }
            double rate = (double)n / (cv_now() - t0);
            if (rate > best[mode]) best[mode] = rate;
        }
    printf("constrained greedy decoding, %s, %zu prior samples, best of %d rounds: none %.1f mol/s "
           "(%.1f tokens/mol), "
           "valence %.1f mol/s (%.1f tokens/mol), ratio %.3f (target >= 0.9)\n",
           path, n, rounds, best[0], (double)tokens[0] / (double)n, best[1],
           (double)tokens[1] / (double)n, best[1] / best[0]);
    free(z), free(ids), free(len);
    cv_smiles_grammar_free(&g);
    cv_ckpt_meta_free(&meta);
    cv_vae_free(&vae);
    return 0;
}
