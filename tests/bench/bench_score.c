/* bench_score.c — scoring throughput of the chem module on one thread, measured the way
 * `chemvae score` scores a row (parse + canonical SMILES + MW, logP, QED, SA, penalized
 * logP). Each of REPEATS passes over the file is timed in CPU time of the calling thread;
 * the best pass is reported (on a shared machine, the pass least disturbed by other load;
 * tests/bench/score_rdkit.py reports Python the same way). Run by tests/bench/score.sh.
 * usage: bench_score FILE [REPEATS]   (FILE: one SMILES per line) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chemvae/chem/chem.h"

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_score FILE [REPEATS]\n");
        return 2;
    }
    int repeats = argc > 2 ? atoi(argv[2]) : 1;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char **smiles = NULL, *line = NULL;
    size_t n = 0, cap = 0, lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **grown = realloc(smiles, cap * sizeof *smiles);
            if (!grown) return 1;
            smiles = grown;
        }
        smiles[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    cv_chem_log_rdkit(0);
    cv_chem_is_valid("C"); /* one-time initialisation outside the timing, as Python's imports */
    ChemScores s;
    size_t valid = 0;
    double checksum = 0, best = -1;
    for (int r = 0; r < repeats; r++) {
        double t0 = cpu_seconds();
        valid = 0;
        checksum = 0;
        for (size_t i = 0; i < n; i++) {
            ChemMol *mol = cv_chem_mol_from_smiles(smiles[i]);
            if (!mol) continue;
            char *can = cv_chem_mol_canonical(mol);
            if (can && cv_chem_mol_scores(mol, &s, NULL) == CV_OK) {
                valid++;
                checksum += s.penalized_logp + s.qed + s.mw;
            }
            free(can);
            cv_chem_mol_free(mol);
        }
        double dt = cpu_seconds() - t0;
        if (best < 0 || dt < best) best = dt;
    }
    printf("chemvae %zu molecules (%zu valid), best of %d passes %.3f s CPU: %.1f mol/s "
           "(checksum %.6f)\n",
           n, valid, repeats, best, (double)n / best, checksum);
    for (size_t i = 0; i < n; i++) free(smiles[i]);
    free(smiles);
    return 0;
}
