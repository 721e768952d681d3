/* cmd_encode.c — `chemvae encode`: SMILES -> latent mean mu, as CSV
 * (smiles,z0,...,z{Z-1}) on stdout. SMILES come from arguments or one per line from
 * --input FILE / stdin. A SMILES RDKit rejects, or with a token outside the model's
 * vocabulary, is reported on stderr with its line and skipped; the exit code is then 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "model_io.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: chemvae encode --model FILE.cvae [SMILES ...] [--input FILE]\n"
            "\n"
            "Prints smiles,z0..z{Z-1} (the encoder's mean) for every input SMILES.\n"
            "  --input FILE   one SMILES per line ('-' = stdin; default stdin without arguments)\n"
            "  --threads N    OpenBLAS threads\n");
}

static int encode_one(CvModel *m, const char *smiles, const char *where, int32_t *row, float *mu) {
    CvError err = {0};
    size_t len;
    if (cv_model_encode_smiles(m, smiles, row, &len, &err)) {
        fprintf(stderr, "chemvae encode: %s: %s\n", where, err.msg);
        return 1;
    }
    vae_encode(&m->vae, row, 1, mu, NULL);
    printf("%s", smiles);
    for (int k = 0; k < m->vae.cfg.Z; k++) printf(",%.7g", mu[k]);
    printf("\n");
    return 0;
}

int cmd_encode(int argc, char **argv) {
    const char *cmd = "encode", *model = NULL, *input = NULL;
    long threads = 0;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"input", required_argument, 0, 'i'},
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
        case 't':
            if (cli_parse_long(cmd, "--threads", optarg, &threads)) return CLI_USAGE;
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
    cli_set_threads((int)threads);
    CvError err = {0};
    CvModel m;
    if (cv_model_load(&m, model, 1, &err)) {
        cv_model_free(&m);
        return cli_report(cmd, &err);
    }
    int32_t *row = malloc((size_t)m.vae.cfg.T * sizeof *row);
    float *mu = malloc((size_t)m.vae.cfg.Z * sizeof *mu);
    int bad = 0;
    printf("smiles");
    for (int k = 0; k < m.vae.cfg.Z; k++) printf(",z%d", k);
    printf("\n");
    if (optind < argc && !input) {
        for (int i = optind; i < argc; i++) {
            char where[32];
            snprintf(where, sizeof where, "argument %d", i - optind + 1);
            bad |= encode_one(&m, argv[i], where, row, mu);
        }
    } else {
        CliLines in;
        if (cli_lines_open(&in, input, &err)) {
            free(row);
            free(mu);
            cv_model_free(&m);
            return cli_report(cmd, &err);
        }
        ssize_t got;
        while ((got = cli_lines_next(&in)) > 0) {
            char *line = in.line;
            while (got > 0 &&
                   (line[got - 1] == '\n' || line[got - 1] == '\r' || line[got - 1] == ' '))
                line[--got] = 0;
            if (!got) continue;
            char where[4200];
            snprintf(where, sizeof where, "%s line %ld", in.name, in.lineno);
            bad |= encode_one(&m, line, where, row, mu);
        }
        cli_lines_close(&in);
    }
    free(row);
    free(mu);
    cv_model_free(&m);
    return bad ? CLI_ERROR : CLI_OK;
}
