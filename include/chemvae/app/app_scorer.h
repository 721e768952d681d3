/* app_scorer.h — an external program that judges molecules (`--scorer CMD` of sample and
 * optimize), by REINVENT's convention: it reads SMILES on its standard input, one a line,
 * and writes one number a line on its standard output, in the same order.
 *
 * Running: /bin/sh -c CMD (so CMD may hold arguments, pipes, a path to a script), once per
 * batch: every distinct molecule of a batch (a decode point of optimize, a chunk of sample)
 * that it has not scored before goes to one invocation, never one process per molecule.
 * The SMILES are written to an anonymous file first that becomes the program's stdin, so
 * nothing can deadlock whichever of reading and writing the program does first; its stdout
 * is read through a pipe, its stderr is the caller's. Each invocation may take `timeout`
 * seconds (0: no limit); then its process group (the shell and what it started) is killed.
 *
 * Output: exactly one line per SMILES (the last newline optional; "\r\n" accepted; blanks
 * around the number ignored), each a finite decimal number or "nan" (any case: a molecule
 * the program gives no value, stored as NULL and never ranked best). Errors name the
 * command: not found (exit status 127 of the shell), not executable (126), another non-zero
 * exit status or a signal, a timeout, more than CV_SCORER_MAX_OUTPUT bytes, the wrong number
 * of lines, or a line that is not a number (naming the line, its text and its SMILES).
 *
 * Ownership: a CvScorer keeps every molecule it scored (a cache: each molecule is scored
 * once per run) with its value; cv_scorer_free frees them. The command is borrowed. */
#ifndef CHEMVAE_APP_SCORER_H
#define CHEMVAE_APP_SCORER_H

#include <stddef.h>

#include "chemvae/app/app.h"
#include "chemvae/chem/chem.h"
#include "chemvae/latent/latent.h"

#define CV_SCORER_TIMEOUT 600.0 /* default seconds per invocation */
enum { CV_SCORER_MAX_OUTPUT = 64 << 20 };

/* The help texts of the scorer parameters, shared by sample and optimize. */
#define CV_SCORER_HELP                                                                             \
    "a program that reads SMILES lines on stdin and writes one\nnumber a line (higher is "         \
    "better); run by /bin/sh -c CMD"
#define CV_SCORER_TIMEOUT_HELP "seconds a --scorer run may take (default 600; 0 = no limit)"

typedef struct {
    const char *cmd; /* borrowed */
    double timeout;  /* seconds per invocation; 0: no limit */
    LatentUniq seen; /* every molecule scored, in order (with its RDKit scores) */
    double *values;  /* (seen.n) the program's value of each; NaN: none */
    size_t cap;      /* of values */
    size_t recorded; /* seen items [0, recorded) are in the results DB */
    size_t calls;    /* invocations so far */
    int negate;      /* 1: cv_scorer_judge hands out -value (a minimized objective) */
} CvScorer;

/* A scorer for cmd (borrowed) with `timeout` seconds per invocation. */
void cv_scorer_init(CvScorer *s, const char *cmd, double timeout);
void cv_scorer_free(CvScorer *s);

/* Runs cmd once on smiles[0..n) (n >= 1) and reads its n values into out (see top).
 * CV_ERR_IO (running, timeouts, exit status) or CV_ERR_PARSE (output) naming the command. */
CvStatus cv_scorer_exec(const char *cmd, double timeout, const char *const *smiles, size_t n,
                        double *out, CvError *err);

/* Reads the program's output text[0..len) (any bytes) as n values into out (see top);
 * smiles (n, NULL-able) name the molecule of a bad line. CV_ERR_PARSE naming cmd. */
CvStatus cv_scorer_parse(const char *cmd, const char *text, size_t len, const char *const *smiles,
                         size_t n, double *out, CvError *err);

/* The values of the n canonical SMILES (scores: their RDKit scores) into out: those not
 * scored before go to the program in one invocation (each distinct molecule once), the
 * others come from what it said before. On an error nothing is added. */
CvStatus cv_scorer_score(CvScorer *s, size_t n, const char *const *smiles, const ChemScores *scores,
                         double *out, CvError *err);

/* cv_scorer_score as a LatentJudge (ctx: the CvScorer), values negated when s->negate. */
CvStatus cv_scorer_judge(void *ctx, size_t n, const char *const *smiles, const ChemScores *scores,
                         double *out, CvError *err);

/* The value of a SMILES scored before (NaN when not scored or the program gave none). */
double cv_scorer_value(const CvScorer *s, const char *smiles);

/* Stores the values not recorded yet in the hooks' results DB (the scores table, name =
 * the command, one transaction with their molecules); nothing without a DB. */
CvStatus cv_scorer_record(CvScorer *s, const CvHooks *h, CvError *err);

#endif
