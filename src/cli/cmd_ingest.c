/* cmd_ingest.c — `chemvae ingest`: CSV → .cvds dataset through ingest_csv (src/data/).
 * Prints the summary counts (stdout: CSV or JSON; stderr: one human line per count), the
 * reject file path, and fails (exit 1) on I/O errors or when no row is usable. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chemvae/chem.h"
#include "chemvae/dataset.h"
#include "chemvae/csvin.h"
#include "chemvae/fileio.h"
#include "chemvae/ingest.h"
#include "chemvae/vocab.h"
#include "cli.h"

int cmd_ingest(int argc, char **argv);

static const char *const CMD = "ingest";

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: chemvae ingest [options] INPUT.csv [-o OUTPUT.cvds]\n"
        "\n"
        "Reads a ZINC/MOSES-style CSV (or TSV), validates and canonicalizes every SMILES with\n"
        "RDKit, drops duplicates, tokenizes, splits train/valid/test and writes a dataset.\n"
        "Bad rows go to a reject CSV (line,kind,reason,text); the counts printed at the end\n"
        "add up: rows = accepted + rejected + duplicates.\n"
        "\n"
        "  -o, --output FILE       dataset to write (default: INPUT with .cvds instead of .csv)\n"
        "      --smiles-col NAME   SMILES column (default: first column named smiles, any case)\n"
        "      --props LIST        property columns to read, e.g. logP,qed,SAS ('none': no\n"
        "                          columns; default: whichever of logP, qed, SAS the file has)\n"
        "      --compute LIST      properties computed with RDKit: logp,qed,sa,mw,plogp ('none';\n"
        "                          default: those of logp, qed, sa the file does not have,\n"
        "                          none when --props is given)\n"
        "  -d, --delimiter C       field delimiter: a character, 'tab' or '\\t' (default: auto,\n"
        "                          comma or tab from the first line)\n"
        "      --no-canonical      keep SMILES as written (still validated by RDKit)\n"
        "      --vocab FILE        use this vocabulary (default: build it from the train split)\n"
        "      --unk               with --vocab: map unknown tokens to <unk> instead of\n"
        "                          rejecting the row\n"
        "      --vocab-out FILE    also save the dataset's vocabulary as a text file\n"
        "  -T, --max-len N         max tokens per molecule INCLUDING the end token (default %d)\n"
        "      --split A,B,C       train,valid,test ratios (default 0.8,0.1,0.1)\n"
        "      --train-extra FILE  more molecules for the train split only (repeatable):\n"
        "                          INPUT alone decides the valid/test split, as if FILE\n"
        "                          were not there; a molecule already in INPUT is a\n"
        "                          duplicate, so the test split stays unseen\n"
        "      --split-col NAME    take each row's split from this column instead (train;\n"
        "                          valid/validation/val/dev; test*), e.g. MOSES's SPLIT\n"
        "      --seed N            split seed (default 42)\n"
        "      --rejects FILE      reject CSV (default: OUTPUT with .rejects.csv)\n"
        "  -j, --threads N         worker threads for RDKit (default: all CPUs)\n"
        "      --json              print the summary as JSON instead of CSV\n"
        "  -q, --quiet             no progress bar and no summary on stderr\n"
        "      --rdkit-log         let RDKit print its parse errors (default: only the\n"
        "                          reject file records them)\n"
        "  -h, --help              this help\n",
        DATASET_DEFAULT_T);
}

/* "x.csv" / "x.csv.gz" / "x" → "x<suffix>" */
static char *replace_ext(const char *path, const char *suffix) {
    size_t n = strlen(path);
    const char *exts[] = {".csv.gz", ".tsv", ".csv", ".smi", ".txt", ".cvds"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && strcmp(path + n - k, exts[i]) == 0) {
            n -= k;
            break;
        }
    }
    char *out = malloc(n + strlen(suffix) + 1);
    if (!out) return NULL;
    memcpy(out, path, n);
    strcpy(out + n, suffix);
    return out;
}

static int parse_ratios(const char *s, double r[3]) {
    char *end;
    for (int k = 0; k < 3; k++) {
        r[k] = strtod(s, &end);
        if (end == s || !(r[k] >= 0)) return -1;
        s = end;
        if (k < 2) {
            if (*s != ',') return -1;
            s++;
        }
    }
    return *s ? -1 : (r[0] + r[1] + r[2] > 0 ? 0 : -1);
}

int cmd_ingest(int argc, char **argv) {
    enum {
        O_SMILES = 256,
        O_PROPS,
        O_COMPUTE,
        O_NOCANON,
        O_VOCAB,
        O_UNK,
        O_VOCAB_OUT,
        O_SPLIT,
        O_SEED,
        O_REJECTS,
        O_JSON,
        O_RDLOG,
        O_SPLITCOL,
        O_TRAIN_EXTRA
    };
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"smiles-col", required_argument, 0, O_SMILES},
                                             {"props", required_argument, 0, O_PROPS},
                                             {"compute", required_argument, 0, O_COMPUTE},
                                             {"delimiter", required_argument, 0, 'd'},
                                             {"no-canonical", no_argument, 0, O_NOCANON},
                                             {"vocab", required_argument, 0, O_VOCAB},
                                             {"unk", no_argument, 0, O_UNK},
                                             {"vocab-out", required_argument, 0, O_VOCAB_OUT},
                                             {"max-len", required_argument, 0, 'T'},
                                             {"split", required_argument, 0, O_SPLIT},
                                             {"seed", required_argument, 0, O_SEED},
                                             {"rejects", required_argument, 0, O_REJECTS},
                                             {"threads", required_argument, 0, 'j'},
                                             {"json", no_argument, 0, O_JSON},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {"rdkit-log", no_argument, 0, O_RDLOG},
                                             {"split-col", required_argument, 0, O_SPLITCOL},
                                             {"train-extra", required_argument, 0, O_TRAIN_EXTRA},
                                             {0, 0, 0, 0}};
    IngestOptions o;
    ingest_options_default(&o);
    const char *output = NULL, *vocab_path = NULL, *vocab_out = NULL, *rejects = NULL;
    int json = 0, quiet = 0, rdlog = 0;
    const char *extra[16];
    size_t n_extra = 0;
    long v;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:d:T:j:qh", longopts, NULL)) != -1;) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case O_SMILES:
            o.smiles_col = optarg;
            break;
        case O_PROPS:
            o.props = strcmp(optarg, "none") ? optarg : "";
            break;
        case O_COMPUTE:
            o.compute = strcmp(optarg, "none") ? optarg : "";
            break;
        case 'd':
            if (!strcmp(optarg, "tab") || !strcmp(optarg, "\\t") || !strcmp(optarg, "\t"))
                o.delim = '\t';
            else if (strlen(optarg) == 1 && optarg[0] != '"' && optarg[0] != '\n')
                o.delim = optarg[0];
            else
                return cli_usage_error(CMD, "--delimiter expects one character or 'tab', got '%s'",
                                       optarg);
            break;
        case O_NOCANON:
            o.no_canonical = 1;
            break;
        case O_VOCAB:
            vocab_path = optarg;
            break;
        case O_UNK:
            o.unk_ok = 1;
            break;
        case O_VOCAB_OUT:
            vocab_out = optarg;
            break;
        case 'T':
            if (cli_parse_long(CMD, "--max-len", optarg, &v)) return CLI_USAGE;
            if (v < 2 || v > 65535) return cli_usage_error(CMD, "--max-len must be in 2..65535");
            o.ds.T = (size_t)v;
            break;
        case O_SPLIT:
            if (parse_ratios(optarg, o.ds.ratios))
                return cli_usage_error(
                    CMD, "--split expects three ratios >= 0 like 0.8,0.1,0.1, got '%s'", optarg);
            break;
        case O_SEED:
            if (cli_parse_long(CMD, "--seed", optarg, &v)) return CLI_USAGE;
            o.ds.seed = (uint64_t)v;
            break;
        case O_REJECTS:
            rejects = optarg;
            break;
        case 'j':
            if (cli_parse_long(CMD, "--threads", optarg, &v)) return CLI_USAGE;
            o.threads = (int)(v > 64 ? 64 : v);
            break;
        case O_JSON:
            json = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case O_RDLOG:
            rdlog = 1;
            break;
        case O_SPLITCOL:
            o.split_col = optarg;
            break;
        case O_TRAIN_EXTRA:
            if (n_extra == sizeof extra / sizeof extra[0])
                return cli_usage_error(CMD, "at most %zu --train-extra files",
                                       sizeof extra / sizeof extra[0]);
            extra[n_extra++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error(CMD, "expected one input file");
    const char *input = argv[optind];
    if (o.unk_ok && !vocab_path) return cli_usage_error(CMD, "--unk needs --vocab");
    if (!output && !strcmp(input, "-")) return cli_usage_error(CMD, "reading stdin needs --output");

    char *out_alloc = NULL, *rej_alloc = NULL;
    CvVocab vocab = {0};
    CvDataset ds = {0};
    CvError err;
    cv_error_clear(&err);
    int rc = CLI_ERROR;
    if (!output) output = out_alloc = replace_ext(input, ".cvds");
    if (!rejects) rejects = rej_alloc = replace_ext(output, ".rejects.csv");
    if (!output || !rejects) {
        cv_error_set(&err, CV_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (cv_output_check(output, &err) || cv_output_check(rejects, &err) ||
        (vocab_out && cv_output_check(vocab_out, &err)))
        goto done;
    if (vocab_path) {
        if (vocab_load(&vocab, vocab_path, &err)) goto done;
        o.vocab = &vocab;
    }
    o.reject_path = rejects;
    o.train_files = extra;
    o.n_train_files = n_extra;
    chem_log_rdkit(rdlog);
    o.progress = !quiet;
    IngestStats s;
    CvStatus st = ingest_csv(input, &o, &ds, &s, &err);
    if (st && st != CV_ERR_EMPTY) goto done;
    if (st == CV_OK) {
        if (cv_mkdir_parents(output, &err) || dataset_save(&ds, output, &err)) goto done;
        if (vocab_out && vocab_save(&ds.vocab, vocab_out, &err)) goto done;
    }
    if (!quiet) {
        fprintf(stderr, "%s: %zu rows = %zu accepted + %zu rejected + %zu duplicates (%.2f s)\n",
                input, s.rows, s.accepted, s.rejected, s.duplicates, s.seconds);
        for (int k = 0; k < INGEST_NKINDS; k++)
            if (s.by_kind[k])
                fprintf(stderr, "  rejected %-22s %zu\n", ingest_reject_name((IngestReject)k),
                        s.by_kind[k]);
        if (n_extra)
            fprintf(stderr, "  %zu accepted rows from --train-extra, all in the train split\n",
                    s.train_extra);
        if (s.rejected) fprintf(stderr, "  reject report: %s\n", rejects);
        if (st == CV_OK)
            fprintf(stderr,
                    "  wrote %s: N=%zu (train %zu, valid %zu, test %zu) T=%zu V=%zu P=%zu%s\n",
                    output, ds.n, ds.count[0], ds.count[1], ds.count[2], ds.T, ds.V, ds.P,
                    ds.unk_rows ? " (some valid/test rows hold <unk>)" : "");
    }
    if (st) goto done; /* zero usable rows: counts shown, then the error */
    if (json) {
        CvJson j = {0};
        cv_json_begin_object(&j);
        cv_json_kv_string(&j, "input", input);
        cv_json_kv_string(&j, "output", output);
        cv_json_kv_int(&j, "rows", (int64_t)s.rows);
        cv_json_kv_int(&j, "accepted", (int64_t)s.accepted);
        cv_json_kv_int(&j, "rejected", (int64_t)s.rejected);
        cv_json_kv_int(&j, "duplicates", (int64_t)s.duplicates);
        cv_json_kv_double(&j, "seconds", s.seconds);
        cv_json_key(&j, "rejects_by_kind");
        cv_json_begin_object(&j);
        for (int k = 0; k < INGEST_NKINDS; k++)
            cv_json_kv_int(&j, ingest_reject_name((IngestReject)k), (int64_t)s.by_kind[k]);
        cv_json_end_object(&j);
        cv_json_kv_int(&j, "train_extra", (int64_t)s.train_extra);
        size_t counts[] = {ds.n, ds.count[0], ds.count[1], ds.count[2],
                           ds.T, ds.V,        ds.P,        ds.unk_rows};
        const char *names[] = {"n", "train", "valid", "test", "T", "V", "P", "unk_rows"};
        for (size_t k = 0; k < 8; k++) cv_json_kv_int(&j, names[k], (int64_t)counts[k]);
        cv_json_end_object(&j);
        const char *text = cv_json_text(&j, &err);
        if (text) printf("%s\n", text);
        cv_json_free(&j);
        if (!text) goto done;
    } else {
        printf("input,output,rows,accepted,rejected,duplicates,seconds,train,valid,test,T,V,P\n");
        csvin_write_field(stdout, input, strlen(input));
        putchar(',');
        csvin_write_field(stdout, output, strlen(output));
        printf(",%zu,%zu,%zu,%zu,%.3f,%zu,%zu,%zu,%zu,%zu,%zu\n", s.rows, s.accepted, s.rejected,
               s.duplicates, s.seconds, ds.count[0], ds.count[1], ds.count[2], ds.T, ds.V, ds.P);
    }
    rc = CLI_OK;
done:
    if (rc != CLI_OK) cli_report(CMD, &err);
    dataset_free(&ds);
    vocab_free(&vocab);
    free(out_alloc);
    free(rej_alloc);
    return rc;
}
