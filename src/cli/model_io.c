/* model_io.c — see model_io.h. */
#include "model_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chemvae/chem.h"
#include "chemvae/fileio.h"
#include "cli.h"

/* The shipped model of an installed chemvae: PREFIX/share/chemvae/models/ beside the
 * PREFIX/bin/chemvae that runs (found through /proc/self/exe, so an installed tree can be
 * moved). 0 and the path in buf, or -1 when there is no such file. */
static int installed_model(const char *name, char *buf, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0'; /* PREFIX/bin */
    int w = snprintf(buf, cap, "%s/../share/chemvae/models/%s", exe, name);
    return w > 0 && (size_t)w < cap && access(buf, R_OK) == 0 ? 0 : -1;
}

CvStatus cli_model_load(CliModel *m, const char *path, size_t max_B, CvError *err) {
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", path);
    /* the default model outside a checkout: the installed copy */
    if (!strcmp(path, CLI_SHIPPED_MODEL) && access(path, F_OK) != 0 &&
        installed_model(strrchr(CLI_SHIPPED_MODEL, '/') + 1, m->path, sizeof m->path) == 0)
        path = m->path;
    CvStatus st = ckpt_load(path, &m->vae, &m->meta, max_B, 0, NULL, err);
    if (st) return st;
    if ((st = vocab_from_tokens(&m->vocab, (const char *const *)m->meta.vocab,
                                (size_t)m->meta.n_vocab, err))) {
        cv_error_prefix(err, "%s", path);
        return st;
    }
    /* models longer than the state machine handles decode without the mask by default */
    int mode = m->vae.cfg.T <= SMILES_MAX_ATOMS ? CLI_DEFAULT_CONSTRAIN : SMILES_NONE;
    if ((st = smiles_grammar_init(&m->grammar, (const char *const *)m->vocab.tokens,
                                  (int)m->vocab.n, err)) ||
        (st = cli_model_set_constrain(m, mode, err))) {
        cv_error_prefix(err, "%s", path);
        return st;
    }
    return cv_hash_file(path, m->hash, err);
}

int cli_parse_rescue(const char *cmd, const char *arg, long *k) {
    if (cli_parse_long(cmd, "--rescue", arg, k)) return CLI_USAGE;
    if (*k < 1 || *k > CLI_MAX_RESCUE)
        return cli_usage_error(cmd, "--rescue must be in 1..%d, got %ld", CLI_MAX_RESCUE, *k);
    return 0;
}

int cli_parse_constrain(const char *cmd, const char *arg, int *mode) {
    if (smiles_constrain_parse(arg, mode) == 0) return 0;
    return cli_usage_error(cmd, "--constrain: unknown mode '%s' (none, syntax, valence)", arg);
}

CvStatus cli_model_set_constrain(CliModel *m, int mode, CvError *err) {
    CvStatus st = vae_set_constraint(&m->vae, &m->grammar, mode, err);
    if (!st) m->constrain = mode;
    return st;
}

void cli_model_free(CliModel *m) {
    smiles_grammar_free(&m->grammar);
    vae_free(&m->vae);
    ckpt_meta_free(&m->meta);
    vocab_free(&m->vocab);
}

CvStatus cli_model_encode_smiles(const CliModel *m, const char *smiles, int32_t *row, size_t *len,
                                 CvError *err) {
    char *canon = chem_canonical(smiles);
    if (!canon) return cv_error_set(err, CV_ERR_INVALID, "invalid SMILES '%s'", smiles);
    CvStatus st = vocab_encode(&m->vocab, canon, (size_t)m->vae.cfg.T, 0, row, len, err);
    free(canon);
    return st;
}
