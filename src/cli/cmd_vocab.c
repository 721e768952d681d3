/* cmd_vocab.c — `chemvae vocab`: build a vocabulary from a CSV (through the same ingest
 * path as `chemvae ingest`, so it sees the canonical SMILES a dataset would hold), show
 * one (from a .vocab or a .cvds file), or tokenize SMILES for inspection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/csvin.h"
#include "chemvae/chem.h"
#include "chemvae/dataset.h"
#include "chemvae/ingest.h"
#include "chemvae/tokenizer.h"
#include "chemvae/vocab.h"
#include "cli.h"

int cmd_vocab(int argc, char **argv);

static const char *const CMD = "vocab";

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: chemvae vocab build INPUT.csv -o FILE.vocab [options]\n"
        "       chemvae vocab show FILE.vocab|FILE.cvds\n"
        "       chemvae vocab tokenize [--vocab FILE] SMILES...\n"
        "\n"
        "build: canonicalizes every SMILES of INPUT with RDKit (as ingest does) and writes the\n"
        "       vocabulary of all accepted molecules (specials first, then tokens sorted).\n"
        "  -o, --output FILE       vocabulary file to write (required)\n"
        "      --smiles-col NAME   SMILES column (default: first named smiles)\n"
        "  -d, --delimiter C       field delimiter or 'tab' (default: auto)\n"
        "  -T, --max-len N         skip molecules longer than N-1 tokens (default %d)\n"
        "      --no-canonical      use SMILES as written\n"
        "  -j, --threads N         RDKit worker threads (default: all CPUs)\n"
        "show: prints id,token as CSV; the vocab hash goes to stderr.\n"
        "tokenize: prints each SMILES's tokens separated by spaces (with --vocab: their ids).\n",
        DATASET_DEFAULT_T);
}

static int do_build(int argc, char **argv) {
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"smiles-col", required_argument, 0, 1},
                                             {"delimiter", required_argument, 0, 'd'},
                                             {"max-len", required_argument, 0, 'T'},
                                             {"no-canonical", no_argument, 0, 2},
                                             {"threads", required_argument, 0, 'j'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    IngestOptions o;
    ingest_options_default(&o);
    o.props = "";
    o.compute = "";
    o.ds.ratios[0] = 1;
    o.ds.ratios[1] = o.ds.ratios[2] = 0;
    const char *output = NULL;
    long v;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:d:T:j:h", longopts, NULL)) != -1;) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 1:
            o.smiles_col = optarg;
            break;
        case 'd':
            if (!strcmp(optarg, "tab") || !strcmp(optarg, "\\t")) o.delim = '\t';
            else if (strlen(optarg) == 1) o.delim = optarg[0];
            else return cli_usage_error(CMD, "--delimiter expects one character or 'tab'");
            break;
        case 'T':
            if (cli_parse_long(CMD, "--max-len", optarg, &v)) return CLI_USAGE;
            if (v < 2 || v > 65535) return cli_usage_error(CMD, "--max-len must be in 2..65535");
            o.ds.T = (size_t)v;
            break;
        case 2:
            o.no_canonical = 1;
            break;
        case 'j':
            if (cli_parse_long(CMD, "--threads", optarg, &v)) return CLI_USAGE;
            o.threads = (int)(v > 64 ? 64 : v);
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error(CMD, "vocab build expects one input file");
    if (!output) return cli_usage_error(CMD, "vocab build needs --output");
    CvDataset ds;
    IngestStats s;
    CvError err;
    chem_log_rdkit(0);
    if (ingest_csv(argv[optind], &o, &ds, &s, &err)) return cli_report(CMD, &err);
    CvStatus st = vocab_save(&ds.vocab, output, &err);
    if (!st) {
        fprintf(stderr,
                "%s: %zu tokens from %zu molecules (%zu rows, %zu skipped, %zu duplicates); hash "
                "%016llx\n",
                output, ds.vocab.n, ds.n, s.rows, s.rejected, s.duplicates,
                (unsigned long long)ds.vocab_hash);
        csvin_write_field(stdout, output, strlen(output));
        printf(",%zu,%016llx\n", ds.vocab.n, (unsigned long long)ds.vocab_hash);
    }
    dataset_free(&ds);
    return st ? cli_report(CMD, &err) : CLI_OK;
}

static int do_show(const char *path) {
    CvVocab v = {0};
    CvDataset ds = {0};
    CvError err;
    const CvVocab *shown = &v;
    size_t n = strlen(path);
    CvStatus st = (n > 5 && !strcmp(path + n - 5, ".cvds")) ? dataset_load(&ds, path, &err)
                                                            : vocab_load(&v, path, &err);
    if (st) return cli_report(CMD, &err);
    if (ds.blob) shown = &ds.vocab;
    printf("id,token\n");
    for (size_t i = 0; i < shown->n; i++) printf("%zu,%s\n", i, shown->tokens[i]);
    fprintf(stderr, "%s: %zu tokens, hash %016llx\n", path, shown->n,
            (unsigned long long)vocab_hash(shown));
    dataset_free(&ds);
    vocab_free(&v);
    return CLI_OK;
}

static int do_tokenize(int argc, char **argv) {
    static const struct option longopts[] = {
        {"vocab", required_argument, 0, 'v'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *vpath = NULL;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "v:h", longopts, NULL)) != -1;) {
        if (c == 'v') vpath = optarg;
        else if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        } else return cli_usage_error(CMD, "unknown option");
    }
    if (optind >= argc) return cli_usage_error(CMD, "tokenize expects SMILES arguments");
    CvVocab v = {0};
    CvError err;
    if (vpath && vocab_load(&v, vpath, &err)) return cli_report(CMD, &err);
    int rc = CLI_OK;
    for (int a = optind; a < argc; a++) {
        const char *s = argv[a];
        size_t len = strlen(s), n;
        if (tokenizer_split(s, len, NULL, 0, &n, &err)) {
            rc = cli_report(CMD, &err);
            continue;
        }
        TokenSpan *sp = malloc((n ? n : 1) * sizeof *sp);
        if (!sp) {
            vocab_free(&v);
            return CLI_ERROR;
        }
        tokenizer_split(s, len, sp, n, &n, NULL);
        for (size_t i = 0; i < n; i++) {
            printf("%s%.*s", i ? " " : "", (int)sp[i].len, s + sp[i].off);
            if (vpath) printf("=%d", vocab_lookup(&v, s + sp[i].off, sp[i].len));
        }
        printf("\n");
        free(sp);
    }
    vocab_free(&v);
    return rc;
}

int cmd_vocab(int argc, char **argv) {
    if (argc < 2) return cli_usage_error(CMD, "expected build, show or tokenize");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "build")) return do_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tokenize")) return do_tokenize(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show")) {
        if (argc != 3) return cli_usage_error(CMD, "vocab show expects one file");
        return do_show(argv[2]);
    }
    return cli_usage_error(CMD, "unknown subcommand '%s' (build, show, tokenize)", argv[1]);
}
