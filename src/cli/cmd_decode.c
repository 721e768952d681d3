/* cmd_decode.c — `chemvae decode`: latent vectors -> SMILES. Reads one z per line
 * (Z comma-separated numbers; a first field that is not a number, such as the smiles
 * column written by `chemvae encode`, and a header line are skipped) from --input FILE or
 * stdin, decodes them in batches, and prints index,smiles,valid (RDKit). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem.h"
#include "chemvae/latent.h"
#include "cli.h"
#include "model_io.h"

static void usage(FILE *out) {
    fprintf(out, "usage: chemvae decode --model FILE.cvae [--input FILE]\n"
                 "\n"
                 "  --input FILE        one z per line, Z comma-separated numbers (default stdin)\n"
                 "  --temperature X     0 = greedy (default); > 0 samples softmax(logits / X)\n"
                 "  --seed N            seed of temperature sampling (default 1)\n"
                 "  --constrain MODE    none | syntax | valence (default): decoding mask\n"
                 "  --beam K            beam search of K hypotheses (greedy only)\n"
                 "  --threads N         OpenBLAS threads\n");
}

static void flush(CvModel *m, float *z, size_t B, float temp, int beam, CvRng *rng, int32_t *dec,
                  int32_t *declen, long *index) {
    size_t T = (size_t)m->vae.cfg.T;
    CvError err = {0};
    if (beam > 1 && temp <= 0) {
        if (vae_decode_beam(&m->vae, z, B, beam, dec, declen, &err)) {
            cli_report("decode", &err); /* out of memory: the rows are left undecoded */
            return;
        }
    } else {
        vae_decode(&m->vae, z, B, temp, rng, dec, declen);
    }
    for (size_t i = 0; i < B; i++) {
        char *s = vocab_decode(&m->vocab, dec + i * T, T);
        printf("%ld,%s,%d\n", (*index)++, s ? s : "", s ? chem_is_valid(s) : 0);
        free(s);
    }
}

int cmd_decode(int argc, char **argv) {
    const char *cmd = "decode", *model = NULL, *input = NULL;
    long threads = 0, seed = 1, beam = 1;
    double temp = 0;
    int constrain = CV_DEFAULT_CONSTRAIN;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"constrain", required_argument, 0, 'C'},
                                         {"beam", required_argument, 0, 'K'},
                                         {"input", required_argument, 0, 'i'},
                                         {"temperature", required_argument, 0, 'T'},
                                         {"seed", required_argument, 0, 's'},
                                         {"threads", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "m:i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 'T':
            if (cli_parse_temperature(cmd, "--temperature", optarg, &temp)) return CLI_USAGE;
            break;
        case 's':
            if (cli_parse_long(cmd, "--seed", optarg, &seed)) return CLI_USAGE;
            break;
        case 't':
            if (cli_parse_long(cmd, "--threads", optarg, &threads)) return CLI_USAGE;
            break;
        case 'C':
            if (cli_parse_constrain(cmd, optarg, &constrain)) return CLI_USAGE;
            break;
        case 'K':
            if (cli_parse_long(cmd, "--beam", optarg, &beam)) return CLI_USAGE;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!model) return cli_usage_error(cmd, "--model is required");
    if (beam < 1 || beam > 256) return cli_usage_error(cmd, "--beam must be in 1..256");
    cli_set_threads((int)threads);
    enum { BATCH = 256 };
    CvError err = {0};
    CvModel m;
    if (cv_model_load(&m, model, BATCH, &err) || cv_model_set_constrain(&m, constrain, &err)) {
        cv_model_free(&m);
        return cli_report(cmd, &err);
    }
    CliLines in;
    if (cli_lines_open(&in, input, &err)) {
        cv_model_free(&m);
        return cli_report(cmd, &err);
    }
    size_t Z = (size_t)m.vae.cfg.Z, T = (size_t)m.vae.cfg.T, B = 0;
    float *z = malloc(BATCH * Z * sizeof *z);
    int32_t *dec = malloc(BATCH * T * sizeof *dec), *declen = malloc(BATCH * sizeof *declen);
    CvRng rng;
    cv_rng_init(&rng, (uint64_t)seed);
    long index = 0;
    int bad = 0;
    printf("index,smiles,valid\n");
    while (cli_lines_next(&in) > 0) {
        char *line = in.line;
        if (line[0] == '\n' || line[0] == '\r' || !strncmp(line, "smiles", 6) || line[0] == 'z')
            continue;
        if (latent_parse_z(line, z + B * Z, Z)) {
            fprintf(stderr,
                    "chemvae decode: %s line %ld: expected %zu comma-separated finite numbers\n",
                    in.name, in.lineno, Z);
            bad = 1;
            continue;
        }
        if (++B == BATCH) {
            flush(&m, z, B, (float)temp, (int)beam, &rng, dec, declen, &index);
            B = 0;
        }
    }
    if (B) flush(&m, z, B, (float)temp, (int)beam, &rng, dec, declen, &index);
    cli_lines_close(&in);
    free(z);
    free(dec);
    free(declen);
    cv_model_free(&m);
    return bad ? CLI_ERROR : CLI_OK;
}
