/* objective.c — text objectives for latent optimization (grammar in
 * include/chemvae/latent/latent_objective.h).
 *
 * A hand-written recursive-descent scanner over the text: one pass, no allocation, every
 * error reports a 1-based column. Numbers are scanned by their own grammar rather than
 * strtod, which would also accept "inf", "nan", hex floats and locale-dependent commas.
 * The result is a dense weight vector over the known properties, so evaluating an objective
 * is a dot product and binding it to a head is a change of basis. */
#include "chemvae/latent/latent_objective.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const prop_names[LATENT_NPROPS] = {"logp", "qed", "sa", "mw", "plogp"};

static const struct {
    const char *alias;
    LatentProp prop;
} aliases[] = {{"logp", LATENT_PROP_LOGP},   {"qed", LATENT_PROP_QED},
               {"sa", LATENT_PROP_SA},       {"sas", LATENT_PROP_SA},
               {"mw", LATENT_PROP_MW},       {"molwt", LATENT_PROP_MW},
               {"plogp", LATENT_PROP_PLOGP}, {"penalized_logp", LATENT_PROP_PLOGP}};

const char *cv_latent_prop_name(LatentProp p) {
    return (unsigned)p < LATENT_NPROPS ? prop_names[p] : "?";
}

int cv_latent_prop_lookup(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].alias) == len && !strncasecmp(aliases[i].alias, name, len))
            return (int)aliases[i].prop;
    return -1;
}

typedef struct {
    const char *s; /* whole text */
    size_t i;      /* cursor */
    CvError *err;
} Scan;

static void skip_ws(Scan *sc) {
    while (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t') sc->i++;
}

/* Error at column i + 1 quoting up to 16 characters from there. */
static CvStatus scan_error(Scan *sc, size_t i, const char *what) {
    const char *at = sc->s + i;
    int n = 0;
    while (n < 16 && at[n] && isprint((unsigned char)at[n])) n++;
    if (!*at)
        return cv_error_set(sc->err, CV_ERR_PARSE, "objective '%.200s': %s at the end (column %zu)",
                            sc->s, what, i + 1);
    return cv_error_set(sc->err, CV_ERR_PARSE, "objective '%.200s': %s at column %zu ('%.*s')",
                        sc->s, what, i + 1, n, at);
}

/* number := digits ['.' digits] [e [+-] digits] | '.' digits [...]. */
static CvStatus scan_number(Scan *sc, double *out) {
    const char *s = sc->s;
    size_t i = sc->i, digits = 0;
    while (isdigit((unsigned char)s[i])) i++, digits++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i])) i++, digits++;
    }
    if (!digits) return scan_error(sc, sc->i, "malformed number");
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-') j++;
        if (!isdigit((unsigned char)s[j])) return scan_error(sc, sc->i, "malformed exponent");
        while (isdigit((unsigned char)s[j])) j++;
        i = j;
    }
    char buf[64];
    if (i - sc->i >= sizeof buf) return scan_error(sc, sc->i, "number too long");
    memcpy(buf, s + sc->i, i - sc->i);
    buf[i - sc->i] = '\0';
    *out = strtod(buf, NULL);
    if (!isfinite(*out)) return scan_error(sc, sc->i, "number out of range");
    sc->i = i;
    return CV_OK;
}

/* term := factor ('*' factor)*; adds sign · coefficient to the term's property. */
static CvStatus scan_term(Scan *sc, double sign, double *w) {
    skip_ws(sc);
    size_t start = sc->i;
    double coef = sign;
    int prop = -1;
    for (;;) {
        skip_ws(sc);
        const char *s = sc->s;
        size_t at = sc->i;
        if (isalpha((unsigned char)s[at]) || s[at] == '_') {
            size_t j = at;
            while (isalnum((unsigned char)s[j]) || s[j] == '_') j++;
            int p = cv_latent_prop_lookup(s + at, j - at);
            if (p < 0)
                return scan_error(sc, at, "unknown property (known: logp, qed, sa, mw, plogp)");
            if (prop >= 0)
                return scan_error(sc, at,
                                  "a term may hold only one property (objectives are linear)");
            prop = p;
            sc->i = j;
        } else if (isdigit((unsigned char)s[at]) || s[at] == '.') {
            double v = 0.0;
            CvStatus st = scan_number(sc, &v);
            if (st) return st;
            coef *= v;
        } else {
            return scan_error(sc, at, "expected a property or a number");
        }
        skip_ws(sc);
        if (sc->s[sc->i] != '*') break;
        sc->i++;
    }
    if (prop < 0) return scan_error(sc, start, "term has no property");
    if (!isfinite(coef)) return scan_error(sc, start, "weight out of range");
    w[prop] += coef;
    return CV_OK;
}

/* Appends "w*name" with a sign to the normalized text. */
static size_t text_term(char *buf, size_t len, size_t cap, double w, const char *name) {
    const char *sign = w < 0 ? (len ? " - " : "-") : (len ? " + " : "");
    double a = fabs(w);
    int n = a == 1.0 ? snprintf(buf + len, cap - len, "%s%s", sign, name)
                     : snprintf(buf + len, cap - len, "%s%.6g*%s", sign, a, name);
    if (n < 0) return len;
    return len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

CvStatus cv_latent_objective_parse(const char *text, LatentObjective *obj, CvError *err) {
    memset(obj, 0, sizeof *obj);
    Scan sc = {text, 0, err};
    skip_ws(&sc);
    if (!text[sc.i])
        return cv_error_set(err, CV_ERR_PARSE,
                            "objective is empty (e.g. 'qed', '5*qed-sa', 'plogp')");
    double sign = 1.0;
    if (text[sc.i] == '+' || text[sc.i] == '-') sign = text[sc.i++] == '-' ? -1.0 : 1.0;
    for (;;) {
        CvStatus st = scan_term(&sc, sign, obj->w);
        if (st) return st;
        skip_ws(&sc);
        char c = text[sc.i];
        if (!c) break;
        if (c != '+' && c != '-') return scan_error(&sc, sc.i, "expected '+', '-' or '*'");
        sign = c == '-' ? -1.0 : 1.0;
        sc.i++;
    }
    size_t len = 0;
    int any = 0;
    for (int p = 0; p < LATENT_NPROPS; p++) {
        if (!isfinite(obj->w[p]))
            return cv_error_set(err, CV_ERR_PARSE, "objective '%.200s': weight of %s out of range",
                                text, prop_names[p]);
        if (obj->w[p] == 0.0) continue;
        any = 1;
        len = text_term(obj->text, len, sizeof obj->text, obj->w[p], prop_names[p]);
    }
    if (!any)
        return cv_error_set(err, CV_ERR_PARSE, "objective '%.200s': every weight is zero", text);
    return CV_OK;
}

void cv_latent_objective_negate(LatentObjective *obj) {
    char t[LATENT_OBJECTIVE_TEXT];
    for (int p = 0; p < LATENT_NPROPS; p++) obj->w[p] = -obj->w[p];
    snprintf(t, sizeof t, "-(%.*s)", (int)sizeof t - 4, obj->text);
    memcpy(obj->text, t, sizeof t);
}

double cv_latent_objective_true(const LatentObjective *obj, const ChemScores *s) {
    const double v[LATENT_NPROPS] = {s->logp, s->qed, s->sa, s->mw, s->penalized_logp};
    double f = 0;
    for (int p = 0; p < LATENT_NPROPS; p++)
        if (obj->w[p] != 0.0) f += obj->w[p] * v[p];
    return f;
}

CvStatus cv_latent_objective_bind(const LatentObjective *obj, size_t P, const char *const *names,
                                  const double *mean, const double *std, double *wz, double *offset,
                                  CvError *err) {
    int at[LATENT_NPROPS];
    for (int p = 0; p < LATENT_NPROPS; p++) at[p] = -1;
    for (size_t k = 0; k < P; k++) {
        int p = cv_latent_prop_lookup(names[k], strlen(names[k]));
        if (p >= 0 && at[p] < 0) at[p] = (int)k;
    }
    double w[LATENT_NPROPS];
    memcpy(w, obj->w, sizeof w);
    if (w[LATENT_PROP_PLOGP] != 0.0 && at[LATENT_PROP_PLOGP] < 0) {
        /* the head's penalized logP: logP − SA (no ring penalty before decoding) */
        w[LATENT_PROP_LOGP] += w[LATENT_PROP_PLOGP];
        w[LATENT_PROP_SA] -= w[LATENT_PROP_PLOGP];
        w[LATENT_PROP_PLOGP] = 0.0;
    }
    for (size_t k = 0; k < P; k++) wz[k] = 0.0;
    *offset = 0.0;
    for (int p = 0; p < LATENT_NPROPS; p++) {
        if (w[p] == 0.0) continue;
        if (at[p] < 0) {
            char have[256];
            size_t len = 0;
            have[0] = '\0';
            for (size_t k = 0; k < P && len < sizeof have; k++) {
                int n = snprintf(have + len, sizeof have - len, "%s%s", k ? ", " : "", names[k]);
                if (n > 0) len += (size_t)n;
            }
            return cv_error_set(err, CV_ERR_INVALID,
                                "objective '%s' needs %s, which the model's property head does not "
                                "predict (it predicts: %s)",
                                obj->text, prop_names[p], P ? have : "nothing");
        }
        wz[at[p]] += w[p] * std[at[p]];
        *offset += w[p] * mean[at[p]];
    }
    return CV_OK;
}
