/* bench_decode.c — batched greedy decoding throughput (cv_vae_decode, the GRU's batched
 * inference path) of a VAE preset with seeded random weights: molecules/s over `reps`
 * decodes of a batch of z ~ N(0, I). To compare equal work with vae_torch.py, which runs
 * all T positions, the <end> logit's bias is set to -1e9 so no row stops early (every
 * molecule is T tokens). A second figure includes what `chemvae sample` adds per
 * molecule: ids -> SMILES and RDKit validation/scoring (cv_latent_decode).
 *
 * usage: bench_decode [preset] [batch] [reps] [T] [V]   (default paper 256 3 120 35) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/latent/latent.h"
#include "chemvae/core/progress.h"

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "paper";
    size_t B = argc > 2 ? (size_t)atoi(argv[2]) : 256;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    int T = argc > 4 ? atoi(argv[4]) : 120, V = argc > 5 ? atoi(argv[5]) : 35;
    VaeConfig cfg;
    CvError err = {0};
    Vae vae;
    CvRng rng;
    cv_rng_init(&rng, 0);
    if (cv_vae_config_preset(preset, T, V, 3, &cfg, &err) ||
        cv_vae_init(&vae, &cfg, B, &rng, &err)) {
        fprintf(stderr, "bench_decode: %s\n", err.msg);
        return 1;
    }
    cv_nn_params_data(&vae.params, vae.id_out_b)[VAE_TOK_END] = -1e9f;
    size_t Z = (size_t)cfg.Z;
    float *z = malloc(B * Z * sizeof *z);
    int32_t *ids = malloc(B * (size_t)T * sizeof *ids), *len = malloc(B * sizeof *len);
    if (!z || !ids || !len) return 1;
    cv_rng_fill_normal(&rng, z, B * Z);
    cv_vae_decode(&vae, z, B, 0.0f, NULL, ids, len); /* warm-up */
    double t0 = cv_now();
    for (int r = 0; r < reps; r++) cv_vae_decode(&vae, z, B, 0.0f, NULL, ids, len);
    double dt = cv_now() - t0;
    long tokens = 0;
    for (size_t b = 0; b < B; b++) tokens += len[b];
    /* with strings and RDKit: a vocabulary of V tokens (specials + atoms, padded) */
    static const char *const atoms[] = {"C",  "c",  "N", "n", "O", "o", "S", "F",
                                        "Cl", "Br", "(", ")", "=", "1", "2", "#"};
    CvVocab vocab;
    if (cv_vocab_init(&vocab, &err)) return 1;
    for (int k = (int)vocab.n; k < V; k++) {
        char tok[16];
        size_t a = (size_t)(k - 4);
        if (a < sizeof atoms / sizeof atoms[0]) snprintf(tok, sizeof tok, "%s", atoms[a]);
        else snprintf(tok, sizeof tok, "[%dC]", k);
        if (cv_vocab_add(&vocab, tok, strlen(tok), NULL, &err)) return 1;
    }
    LatentMol *mols = calloc(B, sizeof *mols);
    double t1 = cv_now();
    if (cv_latent_decode(&vae, &vocab, z, B, NULL, NULL, mols, &err)) return 1;
    double dt2 = cv_now() - t1;
    printf("chemvae_decode preset=%s mol_per_s=%.2f batch=%zu T=%d H=%d tokens_per_mol=%.1f "
           "with_rdkit_mol_per_s=%.2f\n",
           preset, (double)B * reps / dt, B, T, cfg.H, (double)tokens / (double)B, (double)B / dt2);
    cv_latent_mols_free(mols, B);
    free(mols);
    cv_vocab_free(&vocab);
    free(z);
    free(ids);
    free(len);
    cv_vae_free(&vae);
    return 0;
}
