/* latent_objective.h — the objectives of latent-space optimization: linear combinations of
 * molecular properties written as text, e.g. "qed", "-sa", "5*qed-sa", "logp - sa",
 * "0.5*logp + 2*qed", "plogp".
 *
 * Grammar (whitespace allowed between tokens, names case-insensitive):
 *   objective := ['+' | '-'] term (('+' | '-') term)*
 *   term      := factor ('*' factor)*        -- exactly one factor is a property
 *   factor    := number | property           -- number: digits ['.' digits] [e[+-]digits]
 *   property  := logp | qed | sa | mw | plogp   (aliases: sas = sa, penalized_logp = plogp)
 * Repeated properties add up ("qed+qed" = 2·qed). Every error names the column and the
 * text at fault.
 *
 * Two readings of one objective:
 *   true value  Σ w·property from RDKit's scores (plogp = logP − SA − ring penalty, JT-VAE);
 *   head value  Σ w·prediction of the model's property head in real units (mean + std ·
 *               z-scored output). A property the head does not predict is an error, except
 *               plogp, which the head approximates as logP − SA (the ring penalty is only
 *               known after decoding) unless it predicts plogp itself. */
#ifndef CHEMVAE_LATENT_OBJECTIVE_H
#define CHEMVAE_LATENT_OBJECTIVE_H

#include <stddef.h>

#include "chemvae/chem/chem.h"
#include "chemvae/core/error.h"

typedef enum {
    LATENT_PROP_LOGP = 0,
    LATENT_PROP_QED,
    LATENT_PROP_SA,
    LATENT_PROP_MW,
    LATENT_PROP_PLOGP,
    LATENT_NPROPS
} LatentProp;

#define LATENT_OBJECTIVE_TEXT 256

typedef struct {
    double w[LATENT_NPROPS];          /* weight of each property (0 = absent) */
    char text[LATENT_OBJECTIVE_TEXT]; /* normalized, e.g. "5*qed - sa" */
} LatentObjective;

/* Canonical lower-case name of a property ("logp", "qed", "sa", "mw", "plogp"). */
const char *cv_latent_prop_name(LatentProp p);
/* Property named `name` (case-insensitive, aliases above), or -1. */
int cv_latent_prop_lookup(const char *name, size_t len);

/* Parses `text` into *obj (overwritten). CV_ERR_PARSE with a message naming the column and
 * the offending text for: an empty objective, an unknown property, a term with no property
 * or with two, a malformed or non-finite number, a dangling operator, any other character,
 * or weights that all cancel. */
CvStatus cv_latent_objective_parse(const char *text, LatentObjective *obj, CvError *err);

/* Negates every weight (maximize ↔ minimize); text becomes "-(...)". */
void cv_latent_objective_negate(LatentObjective *obj);

/* True value from RDKit scores. */
double cv_latent_objective_true(const LatentObjective *obj, const ChemScores *s);

/* Binds the objective to a property head with P outputs named `names` (CSV/dataset column
 * names such as "logP", "qed", "SAS", matched through cv_latent_prop_lookup) in real units
 * mean + std·y: fills wz (P) and *offset so that head value = offset + Σ_p wz[p]·y_p for
 * z-scored outputs y. CV_ERR_INVALID names a property the head does not predict and lists
 * what it does. */
CvStatus cv_latent_objective_bind(const LatentObjective *obj, size_t P, const char *const *names,
                                  const double *mean, const double *std, double *wz, double *offset,
                                  CvError *err);

#endif
