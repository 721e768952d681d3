/* cmd_train.c — `chemvae train`: trains the VAE on a .cvds dataset, logs every epoch to the
 * results DB (runs, training_metrics) and checkpoints every epoch.
 *
 * SIGINT (Ctrl-C) sets a flag the trainer reads after each step: it finishes the step,
 * writes a checkpoint and returns; the run is marked 'interrupted'. A second Ctrl-C while
 * the checkpoint is written is ignored until the write ends. --resume continues from the
 * checkpoint at --out (same seed and thread count → the same weights as an uninterrupted
 * run). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/checkpoint.h"
#include "chemvae/dataset.h"
#include "chemvae/fileio.h"
#include "chemvae/head.h"
#include "chemvae/store.h"
#include "chemvae/train.h"
#include "cli.h"

static volatile sig_atomic_t g_stop; /* set by the SIGINT handler only */

static void on_sigint(int sig) {
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: chemvae train --data DATASET.cvds [options]\n"
            "\n"
            "Trains the VAE (conv encoder, GRU decoder, property head) and writes a checkpoint\n"
            "after every epoch.\n"
            "\n"
            "  --data FILE         dataset from `chemvae ingest` (required)\n"
            "  --out FILE          checkpoint path (default results/models/model.cvae)\n"
            "  --resume            continue from the checkpoint at --out\n"
            "  --preset NAME       paper | small | tiny (default small)\n"
            "  --latent Z --hidden H --gru-layers L --enc-dense D --dec-dense E\n"
            "                      override the preset's sizes\n"
            "  --decoder D         first (default): z and the previous token enter the first\n"
            "                      GRU layer | z-every-layer: z enters every layer and the\n"
            "                      previous token only the last (chemical_vae's decoder)\n"
            "  --epochs N          total epochs (default 30)\n"
            "  --batch B           molecules per step (default 128)\n"
            "  --lr X --beta1 X --beta2 X --clip X   Adam (default 1e-3, 0.9, 0.999, 50)\n"
            "  --kl-schedule S     sigmoid | constant | linear | cyclical (default sigmoid)\n"
            "  --kl-max X --kl-slope X --kl-center X\n"
            "                      sigmoid: beta(e) = kl_max / (1 + exp(-slope (e - center)))\n"
            "                      (default 0.2, 1, 5; slope 0 = constant)\n"
            "  --kl-ramp E         epochs of the linear ramp / of one cycle (default 10)\n"
            "  --ae-warmup E       first E epochs as a plain autoencoder (beta 0, z = mu)\n"
            "  --free-bits X       KL floor per latent dimension in nats (default 0 = off)\n"
            "  --word-dropout P    decoder input tokens replaced by <pad> with probability P\n"
            "  --augment           encoder sees a randomized SMILES (redrawn every step),\n"
            "                      the decoder the canonical one\n"
            "  --bn-freeze E       from epoch E on (0 = the first), train the encoder's\n"
            "                      batchnorm on its running statistics (default never)\n"
            "  --bucket            with --bn-freeze: batches from length buckets (fewer\n"
            "                      decoder steps on padding)\n"
            "  --full-decode       the decoder runs all T steps of every batch, as without\n"
            "                      length-aware training (benchmarks; same model)\n"
            "  --lr-warmup N       linear learning-rate warm-up over N steps\n"
            "  --lr-decay D        none | cosine (to --lr-min, default 1e-5, over --epochs) |\n"
            "                      plateau (x --lr-factor, default 0.5, after --lr-patience\n"
            "                      epochs without a better validation CE, default 3)\n"
            "  --best FILE         also keep the checkpoint with the best validation\n"
            "                      teacher-forced exact-string accuracy (inference-only)\n"
            "  --prop-weight X     weight of the property MSE (default 1)\n"
            "  --seed N            seed of init, shuffling and noise (default 1)\n"
            "  --max-steps N       stop after N optimizer steps (checkpoint written)\n"
            "  --recon-sample N    validation molecules decoded per epoch (default 256)\n"
            "  --threads N         OpenBLAS threads (default: all cores)\n"
            "  --db FILE           results DB (default " CLI_DEFAULT_DB "); --no-db to skip\n"
            "  --parent-run N      record this run under run N (pipelines)\n"
            "  --quiet             no progress bar, no per-epoch lines\n"
            "\n"
            "usage: chemvae train --export SRC.cvae --out DST.cvae\n"
            "  writes an inference-only copy of a checkpoint (no Adam state: a third the size)\n"
            "\n"
            "usage: chemvae train --refit-head N --data DATASET.cvds --out MODEL.cvae [--lr X]\n"
            "  retrains only the property head of MODEL for N epochs on its latent means (the\n"
            "  encoder and decoder stay as they are), keeps the best validation epoch and\n"
            "  rewrites MODEL\n");
}

typedef struct {
    Store *db;
    int64_t run_id;
    int quiet;
    const char **prop_names;
    size_t P;
} EpochCtx;

static CvStatus on_epoch(void *vctx, const EpochReport *r, CvError *err) {
    EpochCtx *c = vctx;
    if (!c->quiet) {
        fprintf(
            stderr,
            "epoch %3d  beta %.4f  train loss %.4f recon %.4f kl %.3f prop %.4f acc %.4f | valid "
            "loss %.4f recon %.4f kl %.3f acc %.4f tf-exact %.3f exact %.3f au %d%s |",
            r->epoch, r->beta, r->train.loss, r->train.recon, r->train.kl, r->train.prop,
            r->train_acc, r->valid.loss, r->valid.recon, r->valid.kl, r->valid_acc, r->tf_exact,
            r->recon_exact, r->active_units, r->best ? " best" : "");
        for (size_t p = 0; p < c->P; p++)
            fprintf(stderr, " mae %s %.3f", c->prop_names[p], r->prop_mae[p]);
        fprintf(stderr, " | %.0f mol/s %.0f s\n", r->mol_per_s, r->seconds);
    }
    if (!c->db) return CV_OK;
    CvJson ex = {0};
    cv_json_begin_object(&ex);
    cv_json_kv_double(&ex, "recon_exact", r->recon_exact);
    cv_json_kv_double(&ex, "tf_exact", r->tf_exact);
    cv_json_kv_int(&ex, "active_units", r->active_units);
    cv_json_kv_double(&ex, "kl_dim_max", r->kl_dim_max);
    cv_json_kv_int(&ex, "augment_kept", (int64_t)r->augment_kept);
    cv_json_kv_int(&ex, "best", r->best);
    cv_json_kv_double(&ex, "mol_per_s", r->mol_per_s);
    cv_json_kv_double(&ex, "seconds", r->seconds);
    for (size_t p = 0; p < c->P; p++) cv_json_kv_double(&ex, c->prop_names[p], r->prop_mae[p]);
    cv_json_end_object(&ex);
    const char *extra = cv_json_text(&ex, err);
    if (!extra) return CV_ERR_NOMEM;
    StoreTrainingMetric rows[2] = {
        {.epoch = r->epoch,
         .step = r->step,
         .split = "train",
         .loss = r->train.loss,
         .recon = r->train.recon,
         .kl = r->train.kl,
         .prop = r->train.prop,
         .beta = r->beta,
         .lr = r->lr,
         .accuracy = r->train_acc,
         .extra = NULL},
        {.epoch = r->epoch,
         .step = r->step,
         .split = "valid",
         .loss = r->valid.loss,
         .recon = r->valid.recon,
         .kl = r->valid.kl,
         .prop = r->valid.prop,
         .beta = r->beta,
         .lr = r->lr,
         .accuracy = r->valid_acc,
         .extra = extra},
    };
    CvStatus st = store_insert_training_metrics(c->db, c->run_id, rows, 2, err);
    cv_json_free(&ex);
    return st;
}

/* Fills a fresh checkpoint description from the dataset. */
static CvStatus meta_from_dataset(CkptMeta *m, const VaeConfig *cfg, const CvDataset *ds,
                                  const char *data_path, CvError *err) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    CvStatus st =
        ckpt_meta_set_vocab(m, (const char *const *)ds->vocab.tokens, (int)ds->vocab.n, err);
    if (st) return st;
    if (ds->P > CKPT_MAX_PROPS)
        return cv_error_set(err, CV_ERR_INVALID, "%s: %zu properties; at most %d are supported",
                            data_path, ds->P, CKPT_MAX_PROPS);
    m->P = (int)ds->P;
    for (size_t p = 0; p < ds->P; p++) {
        snprintf(m->prop_names[p], CKPT_NAME_MAX, "%s", ds->prop_names[p]);
        m->prop_mean[p] = ds->prop_mean[p];
        m->prop_std[p] = ds->prop_std[p];
    }
    return cv_hash_file(data_path, m->dataset_hash, err);
}

/* --refit-head: the property head alone, on the checkpoint's own latent means. */
static int refit_head(const char *data_path, const char *path, int epochs, float lr,
                      uint64_t seed) {
    CvError err = {0};
    CvDataset ds = {0};
    Vae vae = {0};
    CkptMeta meta = {0};
    int has_opt = 0, rc = CLI_ERROR;
    HeadRefitReport r;
    if (dataset_load(&ds, data_path, &err) ||
        ckpt_load(path, &vae, &meta, 256, 1, &has_opt, &err) ||
        ckpt_meta_check_vocab(&meta, &ds.vocab, path, data_path, &err) ||
        head_refit(&vae, &ds, epochs, lr, seed, &r, &err)) {
        rc = cli_report("train", &err);
        goto done;
    }
    fprintf(stderr,
            "chemvae train: property head refit on %s: %d epochs, best epoch %d; validation MAE",
            path, r.epochs_run, r.best_epoch);
    for (size_t p = 0; p < ds.P && p < CKPT_MAX_PROPS; p++)
        fprintf(stderr, "%s %s %.4f -> %.4f", p ? "," : "", ds.prop_names[p], r.mae_before[p],
                r.mae_after[p]);
    fprintf(stderr, "\n");
    if (ckpt_save(path, &vae, &meta, has_opt, &err)) {
        rc = cli_report("train", &err);
        goto done;
    }
    rc = CLI_OK;
done:
    vae_free(&vae);
    ckpt_meta_free(&meta);
    dataset_free(&ds);
    return rc;
}

/* --export: the same model without the optimizer state. */
static int export_checkpoint(const char *src, const char *dst) {
    CvError err = {0};
    Vae vae;
    CkptMeta meta;
    if (ckpt_load(src, &vae, &meta, 1, 0, NULL, &err) || ckpt_save(dst, &vae, &meta, 0, &err)) {
        vae_free(&vae);
        ckpt_meta_free(&meta);
        return cli_report("train", &err);
    }
    fprintf(stderr, "chemvae train: wrote %s (epoch %ld, step %ld, no optimizer state)\n", dst,
            meta.epoch, meta.step);
    vae_free(&vae);
    ckpt_meta_free(&meta);
    return CLI_OK;
}

int cmd_train(int argc, char **argv) {
    const char *cmd = "train";
    const char *data_path = NULL, *out = "results/models/model.cvae", *preset = "small";
    const char *db_path = CLI_DEFAULT_DB, *export_from = NULL;
    int resume = 0, no_db = 0, quiet = 0;
    long threads = 0, parent = 0;
    long ov_latent = 0, ov_hidden = 0, ov_layers = 0, ov_enc = 0, ov_dec = 0, refit = 0;
    int dec_z_all = 0;
    TrainOptions o;
    train_options_default(&o);
    enum {
        O_LATENT = 256,
        O_HIDDEN,
        O_LAYERS,
        O_ENC,
        O_DEC,
        O_EPOCHS,
        O_BATCH,
        O_LR,
        O_B1,
        O_B2,
        O_CLIP,
        O_KLMAX,
        O_KLSLOPE,
        O_KLCENTER,
        O_PW,
        O_SEED,
        O_MAXSTEPS,
        O_RECON,
        O_THREADS,
        O_DB,
        O_NODB,
        O_PARENT,
        O_QUIET,
        O_RESUME,
        O_EXPORT,
        O_KLSCHED,
        O_KLRAMP,
        O_AEWARM,
        O_FREEBITS,
        O_WDROP,
        O_AUGMENT,
        O_LRWARM,
        O_LRDECAY,
        O_LRMIN,
        O_BEST,
        O_BNFREEZE,
        O_BUCKET,
        O_LRPAT,
        O_LRFACTOR,
        O_REFIT,
        O_FULLDEC,
        O_DECODER
    };
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"out", required_argument, 0, 'o'},
                                         {"preset", required_argument, 0, 'p'},
                                         {"resume", no_argument, 0, O_RESUME},
                                         {"latent", required_argument, 0, O_LATENT},
                                         {"hidden", required_argument, 0, O_HIDDEN},
                                         {"gru-layers", required_argument, 0, O_LAYERS},
                                         {"enc-dense", required_argument, 0, O_ENC},
                                         {"dec-dense", required_argument, 0, O_DEC},
                                         {"epochs", required_argument, 0, O_EPOCHS},
                                         {"batch", required_argument, 0, O_BATCH},
                                         {"lr", required_argument, 0, O_LR},
                                         {"beta1", required_argument, 0, O_B1},
                                         {"beta2", required_argument, 0, O_B2},
                                         {"clip", required_argument, 0, O_CLIP},
                                         {"kl-max", required_argument, 0, O_KLMAX},
                                         {"kl-slope", required_argument, 0, O_KLSLOPE},
                                         {"kl-center", required_argument, 0, O_KLCENTER},
                                         {"prop-weight", required_argument, 0, O_PW},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"max-steps", required_argument, 0, O_MAXSTEPS},
                                         {"recon-sample", required_argument, 0, O_RECON},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"db", required_argument, 0, O_DB},
                                         {"no-db", no_argument, 0, O_NODB},
                                         {"parent-run", required_argument, 0, O_PARENT},
                                         {"quiet", no_argument, 0, O_QUIET},
                                         {"export", required_argument, 0, O_EXPORT},
                                         {"kl-schedule", required_argument, 0, O_KLSCHED},
                                         {"kl-ramp", required_argument, 0, O_KLRAMP},
                                         {"ae-warmup", required_argument, 0, O_AEWARM},
                                         {"free-bits", required_argument, 0, O_FREEBITS},
                                         {"word-dropout", required_argument, 0, O_WDROP},
                                         {"augment", no_argument, 0, O_AUGMENT},
                                         {"lr-warmup", required_argument, 0, O_LRWARM},
                                         {"lr-decay", required_argument, 0, O_LRDECAY},
                                         {"lr-min", required_argument, 0, O_LRMIN},
                                         {"best", required_argument, 0, O_BEST},
                                         {"bn-freeze", required_argument, 0, O_BNFREEZE},
                                         {"bucket", no_argument, 0, O_BUCKET},
                                         {"full-decode", no_argument, 0, O_FULLDEC},
                                         {"decoder", required_argument, 0, O_DECODER},
                                         {"lr-patience", required_argument, 0, O_LRPAT},
                                         {"lr-factor", required_argument, 0, O_LRFACTOR},
                                         {"refit-head", required_argument, 0, O_REFIT},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "d:o:p:h", opts, NULL)) != -1) {
        long lv;
        double dv;
        switch (c) {
        case 'd':
            data_path = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            preset = optarg;
            break;
        case O_RESUME:
            resume = 1;
            break;
        case O_NODB:
            no_db = 1;
            break;
        case O_QUIET:
            quiet = 1;
            break;
        case O_DB:
            db_path = optarg;
            break;
        case O_EXPORT:
            export_from = optarg;
            break;
        case O_AUGMENT:
            o.augment = 1;
            break;
        case O_BUCKET:
            o.bucket = 1;
            break;
        case O_FULLDEC:
            o.full_decode = 1;
            break;
        case O_DECODER:
            if (strcmp(optarg, "first") && strcmp(optarg, "z-every-layer"))
                return cli_usage_error(cmd, "--decoder expects first or z-every-layer, got '%s'",
                                       optarg);
            dec_z_all = !strcmp(optarg, "z-every-layer");
            break;
        case O_BEST:
            o.best = optarg;
            break;
        case O_KLSCHED:
            if (train_kl_schedule_parse(optarg, &o.kl_schedule))
                return cli_usage_error(
                    cmd,
                    "--kl-schedule: unknown schedule '%s' (sigmoid, constant, linear, cyclical)",
                    optarg);
            break;
        case O_LRDECAY:
            if (train_lr_decay_parse(optarg, &o.lr_decay))
                return cli_usage_error(
                    cmd, "--lr-decay: unknown decay '%s' (none, cosine, plateau)", optarg);
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
#define LONGOPT(code, name, dst)                                                                   \
    case code:                                                                                     \
        if (cli_parse_long(cmd, name, optarg, &lv)) return CLI_USAGE;                              \
        dst = lv;                                                                                  \
        break;
#define REALOPT(code, name, dst)                                                                   \
    case code:                                                                                     \
        if (cli_parse_double(cmd, name, optarg, &dv)) return CLI_USAGE;                            \
        dst = (float)dv;                                                                           \
        break;
            LONGOPT(O_LATENT, "--latent", ov_latent)
            LONGOPT(O_HIDDEN, "--hidden", ov_hidden)
            LONGOPT(O_LAYERS, "--gru-layers", ov_layers)
            LONGOPT(O_ENC, "--enc-dense", ov_enc)
            LONGOPT(O_DEC, "--dec-dense", ov_dec)
            LONGOPT(O_EPOCHS, "--epochs", o.epochs)
            LONGOPT(O_BATCH, "--batch", o.batch)
            LONGOPT(O_SEED, "--seed", o.seed)
            LONGOPT(O_MAXSTEPS, "--max-steps", o.max_steps)
            LONGOPT(O_RECON, "--recon-sample", o.recon_sample)
            LONGOPT(O_THREADS, "--threads", threads)
            LONGOPT(O_PARENT, "--parent-run", parent)
            REALOPT(O_LR, "--lr", o.adam.lr)
            REALOPT(O_B1, "--beta1", o.adam.beta1)
            REALOPT(O_B2, "--beta2", o.adam.beta2)
            REALOPT(O_CLIP, "--clip", o.adam.clip_norm)
            REALOPT(O_KLMAX, "--kl-max", o.kl_max)
            REALOPT(O_KLSLOPE, "--kl-slope", o.kl_slope)
            REALOPT(O_KLCENTER, "--kl-center", o.kl_center)
            REALOPT(O_PW, "--prop-weight", o.prop_weight)
            REALOPT(O_KLRAMP, "--kl-ramp", o.kl_ramp)
            REALOPT(O_AEWARM, "--ae-warmup", o.ae_warmup)
            REALOPT(O_FREEBITS, "--free-bits", o.free_bits)
            REALOPT(O_WDROP, "--word-dropout", o.word_dropout)
            REALOPT(O_LRMIN, "--lr-min", o.lr_min)
            REALOPT(O_BNFREEZE, "--bn-freeze", o.bn_freeze)
            REALOPT(O_LRFACTOR, "--lr-factor", o.lr_factor)
            LONGOPT(O_LRPAT, "--lr-patience", o.lr_patience)
            LONGOPT(O_REFIT, "--refit-head", refit)
            LONGOPT(O_LRWARM, "--lr-warmup", o.lr_warmup)
#undef LONGOPT
#undef REALOPT
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (export_from) return export_checkpoint(export_from, out);
    if (refit) {
        if (!data_path) return cli_usage_error(cmd, "--refit-head needs --data");
        cli_set_threads((int)threads);
        return refit_head(data_path, out, (int)refit, o.adam.lr, o.seed);
    }
    if (!data_path) return cli_usage_error(cmd, "--data is required");
    if (ov_latent > VAE_MAX_WIDTH || ov_hidden > VAE_MAX_WIDTH || ov_enc > VAE_MAX_WIDTH ||
        ov_dec > VAE_MAX_WIDTH || ov_layers > GRU_MAX_LAYERS)
        return cli_usage_error(cmd,
                               "--latent, --hidden, --enc-dense and --dec-dense are at most %d, "
                               "--gru-layers at most %d",
                               VAE_MAX_WIDTH, GRU_MAX_LAYERS);
    if (o.epochs < 1 || o.batch > 65536)
        return cli_usage_error(cmd, "--epochs must be >= 1 and --batch at most 65536");
    if (o.batch < 2) return cli_usage_error(cmd, "--batch must be at least 2");
    if (o.word_dropout < 0.0f || o.word_dropout >= 1.0f)
        return cli_usage_error(cmd, "--word-dropout %g must be in [0, 1)", (double)o.word_dropout);
    if (o.bucket && o.bn_freeze < 0.0f)
        return cli_usage_error(
            cmd, "--bucket needs --bn-freeze E: length buckets need frozen batchnorm");
    if (o.free_bits < 0.0f || o.ae_warmup < 0.0f || o.kl_ramp <= 0.0f)
        return cli_usage_error(cmd, "--free-bits and --ae-warmup must be >= 0 and --kl-ramp > 0");
    cli_set_threads((int)threads);
    o.checkpoint = out;

    CvError err = {0};
    CvDataset ds = {0};
    Vae vae = {0};
    CkptMeta meta = {0};
    Store *db = NULL;
    int64_t run_id = 0;
    int rc = CLI_ERROR;
    CvStatus st;
    /* outputs checked before the first epoch, not after it */
    if ((st = cv_output_check(out, &err)) || (o.best && (st = cv_output_check(o.best, &err))))
        goto fail;
    if ((st = dataset_load(&ds, data_path, &err))) goto fail;
    if (resume && access(out, F_OK) == 0) {
        if ((st = ckpt_load(out, &vae, &meta, o.batch, 1, NULL, &err))) goto fail;
        if ((st = ckpt_meta_check_vocab(&meta, &ds.vocab, out, data_path, &err))) goto fail;
        if ((size_t)meta.cfg.T != ds.T || (size_t)meta.cfg.P != ds.P) {
            st = cv_error_set(&err, CV_ERR_MISMATCH,
                              "%s (T=%d, %d properties) does not match %s (T=%zu, %zu properties)",
                              out, meta.cfg.T, meta.cfg.P, data_path, ds.T, ds.P);
            goto fail;
        }
        fprintf(stderr, "chemvae train: resuming %s at epoch %ld, step %ld\n", out, meta.epoch,
                meta.step);
    } else {
        VaeConfig cfg;
        if ((st = vae_config_preset(preset, (int)ds.T, (int)ds.V, (int)ds.P, &cfg, &err)))
            goto fail;
        cfg.dec_z_all = dec_z_all;
        if (ov_latent) cfg.Z = (int)ov_latent;
        if (ov_hidden) cfg.H = (int)ov_hidden;
        if (ov_layers) cfg.gru_layers = (int)ov_layers;
        if (ov_enc) cfg.enc_dense = (int)ov_enc;
        if (ov_dec) cfg.dec_dense = (int)ov_dec;
        CvRng rng;
        cv_rng_init(&rng, o.seed);
        if ((st = vae_init(&vae, &cfg, o.batch, &rng, &err))) goto fail;
        if ((st = meta_from_dataset(&meta, &cfg, &ds, data_path, &err))) goto fail;
    }
    char cfgdesc[512], optdesc[1024];
    vae_config_describe(&vae.cfg, cfgdesc, sizeof cfgdesc);
    train_options_describe(&o, optdesc, sizeof optdesc);
    if (!quiet)
        fprintf(stderr, "chemvae train: %s (%zu parameters); %s\n", cfgdesc, vae.params.total,
                optdesc);
    if (!no_db) {
        CvJson cfg = {0};
        cv_json_begin_object(&cfg);
        cv_json_kv_string(&cfg, "data", data_path);
        cv_json_kv_string(&cfg, "preset", preset);
        cv_json_kv_string(&cfg, "model", cfgdesc);
        cv_json_kv_string(&cfg, "options", optdesc);
        cv_json_kv_bool(&cfg, "resume", resume);
        cv_json_kv_int(&cfg, "threads", threads);
        cv_json_kv_int(&cfg, "params", (int64_t)vae.params.total);
        cv_json_end_object(&cfg);
        if ((st = cv_run_begin(db_path, "train", &cfg, out, NULL, (int64_t)o.seed, parent, &db,
                               &run_id, &err)))
            goto fail;
    }
    EpochCtx ctx = {db, run_id, quiet, ds.prop_names, ds.P};
    TrainHooks hooks = {on_epoch, &ctx, &g_stop, !quiet};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    st = train_run(&vae, &meta, &ds, &o, &hooks, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (st == CV_OK) {
        fprintf(stderr, "chemvae train: done: %ld epochs, %ld steps; checkpoint %s\n", meta.epoch,
                meta.step, out);
        if (db) {
            printf("run_id,checkpoint,epochs,steps\n%lld,%s,%ld,%ld\n", (long long)run_id, out,
                   meta.epoch, meta.step);
            store_run_finish(db, run_id, STORE_RUN_OK, NULL);
        }
        rc = CLI_OK;
        goto done;
    }
    if (db)
        store_run_finish(db, run_id,
                         st == CV_ERR_INTERRUPTED ? STORE_RUN_INTERRUPTED : STORE_RUN_FAILED, NULL);
    if (st == CV_ERR_INTERRUPTED) {
        fprintf(stderr, "chemvae train: %s\n", err.msg);
        rc = 130;
        goto done;
    }
fail:
    if (db && run_id) store_run_finish(db, run_id, STORE_RUN_FAILED, NULL);
    rc = cli_report(cmd, &err);
done:
    store_close(db);
    ckpt_meta_free(&meta);
    vae_free(&vae);
    dataset_free(&ds);
    return rc;
}
