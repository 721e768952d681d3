/* latent_objective.h — the objectives of latent-space optimization: linear combinations of
 * molecular properties written as text, e.g. "qed", "-sa", "5*qed-sa", "logp - sa",
 * "0.5*logp + 2*qed", "plogp", or of any property the model's head was trained on, by the
 * dataset's column name: "pIC50 - 0.5*sa", '"logS (mol/L)"'.
 *
 * Grammar (whitespace allowed between tokens):
 *   objective := ['+' | '-'] term (('+' | '-') term)*
 *   term      := factor ('*' factor)*        -- exactly one factor is a property
 *   factor    := number | property           -- number: digits ['.' digits] [e[+-]digits]
 *   property  := name | '"' any printable characters but '"' '"'
 *   name      := [A-Za-z_][A-Za-z0-9_]*
 * A property whose name is one of RDKit's (case-insensitive: logp, qed, sa, mw, plogp;
 * aliases sas = sa, molwt = mw, penalized_logp = plogp) is that known property; any other
 * name is a head property (a "named" term), resolved only when the objective is bound to a
 * head: the head output of exactly that name first, else the one name equal to it ignoring
 * case. Repeated properties add up ("qed+qed" = 2·qed; "a+a" = 2·a). Every parse error
 * names the column and the text at fault.
 *
 * Two readings of one objective:
 *   true value  Σ w·property from RDKit's scores (plogp = logP − SA − ring penalty, JT-VAE),
 *               only when every term is a known property (cv_latent_objective_rdkit): RDKit
 *               cannot compute a head property of the user's dataset, so the true value of
 *               an objective with a named term is NaN (a caller may judge molecules some
 *               other way: an external scorer);
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

#define LATENT_OBJECTIVE_TEXT 1024
enum {
    LATENT_MAX_NAMED = 8, /* head properties named in one objective (a head has at most 8) */
    LATENT_NAME_MAX = 64  /* bytes of a property name, NUL included */
};

/* A term on a head property that RDKit does not compute: its name as written, its weight. */
typedef struct {
    char name[LATENT_NAME_MAX];
    double w;
} LatentNamedTerm;

typedef struct {
    double w[LATENT_NPROPS];          /* weight of each known property (0 = absent) */
    char text[LATENT_OBJECTIVE_TEXT]; /* normalized, e.g. "5*qed - sa", "pIC50 - 0.5*sa" */
    size_t n_named;                   /* named terms, in order of first appearance */
    LatentNamedTerm named[LATENT_MAX_NAMED];
} LatentObjective;

/* Canonical lower-case name of a property ("logp", "qed", "sa", "mw", "plogp"). */
const char *cv_latent_prop_name(LatentProp p);
/* Property named `name` (case-insensitive, aliases above), or -1. */
int cv_latent_prop_lookup(const char *name, size_t len);

/* Parses `text` into *obj (overwritten). CV_ERR_PARSE with a message naming the column and
 * the offending text for: an empty objective, a term with no property or with two, a
 * malformed or non-finite number, a dangling operator, an unclosed or empty quoted name, a
 * name of LATENT_NAME_MAX bytes or more, more than LATENT_MAX_NAMED names, any other
 * character, or weights that all cancel. The normalized text lists the known properties in
 * LatentProp order, then the named ones (quoted unless they are a `name`), and parses back
 * to the same weights. */
CvStatus cv_latent_objective_parse(const char *text, LatentObjective *obj, CvError *err);

/* Negates every weight (maximize ↔ minimize); text becomes "-(...)". */
void cv_latent_objective_negate(LatentObjective *obj);

/* 1 when RDKit computes every term (no named term), so the true value exists; else 0. */
int cv_latent_objective_rdkit(const LatentObjective *obj);

/* True value from RDKit scores; NaN when a term is a named head property. */
double cv_latent_objective_true(const LatentObjective *obj, const ChemScores *s);

/* Binds the objective to a property head with P outputs named `names` (CSV/dataset column
 * names such as "logP", "qed", "SAS", "pIC50") in real units mean + std·y: fills wz (P) and
 * *offset so that head value = offset + Σ_p wz[p]·y_p for z-scored outputs y. A known
 * property binds to the first output whose name cv_latent_prop_lookup maps to it; a named
 * term to the output of exactly its name, else to the one output equal to it ignoring
 * case. CV_ERR_INVALID names a property the head does not predict and lists what it does,
 * or a name two outputs match ignoring case (neither exactly). */
CvStatus cv_latent_objective_bind(const LatentObjective *obj, size_t P, const char *const *names,
                                  const double *mean, const double *std, double *wz, double *offset,
                                  CvError *err);

#endif
