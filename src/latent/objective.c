/* objective.c — text objectives for latent optimization (grammar in
 * include/chemvae/latent/latent_objective.h).
 *
 * A hand-written recursive-descent scanner over the text: one pass, no allocation, every
 * error reports a 1-based column. Numbers are scanned by their own grammar rather than
 * strtod, which would also accept "inf", "nan", hex floats and locale-dependent commas.
 * The result is a dense weight vector over the known properties plus a short list of named
 * head properties (resolved against the head's output names only when bound, since parsing
 * happens before any model is loaded), so evaluating an objective is a dot product and
 * binding it to a head is a change of basis. */
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

/* A property reference: 0..LATENT_NPROPS-1 a known property, LATENT_NPROPS + j named[j]. */
static CvStatus add_named(Scan *sc, LatentObjective *obj, size_t at, const char *name, size_t len,
                          int *ref) {
    if (len >= LATENT_NAME_MAX)
        return scan_error(sc, at, "property name longer than 63 characters");
    for (size_t j = 0; j < obj->n_named; j++)
        if (strlen(obj->named[j].name) == len && !memcmp(obj->named[j].name, name, len))
            return *ref = LATENT_NPROPS + (int)j, CV_OK;
    if (obj->n_named == LATENT_MAX_NAMED)
        return scan_error(sc, at, "more than 8 head properties named");
    memcpy(obj->named[obj->n_named].name, name, len);
    obj->named[obj->n_named].name[len] = '\0';
    obj->named[obj->n_named].w = 0.0;
    *ref = LATENT_NPROPS + (int)obj->n_named++;
    return CV_OK;
}

/* property := name | '"' printable but '"' '"'; *ref as add_named's. */
static CvStatus scan_property(Scan *sc, LatentObjective *obj, int *ref) {
    const char *s = sc->s;
    size_t at = sc->i, from = at, to;
    if (s[at] == '"') {
        from = to = at + 1;
        while (s[to] && s[to] != '"' && isprint((unsigned char)s[to])) to++;
        if (s[to] != '"') return scan_error(sc, at, "unclosed or unprintable quoted name");
        if (to == from) return scan_error(sc, at, "empty quoted name");
        sc->i = to + 1;
    } else {
        to = at;
        while (isalnum((unsigned char)s[to]) || s[to] == '_') to++;
        sc->i = to;
    }
    int p = cv_latent_prop_lookup(s + from, to - from);
    if (p >= 0) return *ref = p, CV_OK;
    return add_named(sc, obj, at, s + from, to - from, ref);
}

/* term := factor ('*' factor)*; adds sign · coefficient to the term's property. */
static CvStatus scan_term(Scan *sc, double sign, LatentObjective *obj) {
    skip_ws(sc);
    size_t start = sc->i;
    double coef = sign;
    int prop = -1;
    for (;;) {
        skip_ws(sc);
        const char *s = sc->s;
        size_t at = sc->i;
        if (isalpha((unsigned char)s[at]) || s[at] == '_' || s[at] == '"') {
            int p = -1;
            CvStatus st = scan_property(sc, obj, &p);
            if (st) return st;
            if (prop >= 0)
                return scan_error(sc, at,
                                  "a term may hold only one property (objectives are linear)");
            prop = p;
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
    if (prop < LATENT_NPROPS) obj->w[prop] += coef;
    else obj->named[prop - LATENT_NPROPS].w += coef;
    return CV_OK;
}

/* 1 when `name` reads back unquoted: [A-Za-z_][A-Za-z0-9_]*. */
static int plain_name(const char *name) {
    if (!isalpha((unsigned char)*name) && *name != '_') return 0;
    for (; *name; name++)
        if (!isalnum((unsigned char)*name) && *name != '_') return 0;
    return 1;
}

/* Appends "w*name" with a sign to the normalized text. */
static size_t text_term(char *buf, size_t len, size_t cap, double w, const char *name) {
    const char *sign = w < 0 ? (len ? " - " : "-") : (len ? " + " : "");
    const char *q = plain_name(name) ? "" : "\"";
    double a = fabs(w);
    int n = a == 1.0 ? snprintf(buf + len, cap - len, "%s%s%s%s", sign, q, name, q)
                     : snprintf(buf + len, cap - len, "%s%.6g*%s%s%s", sign, a, q, name, q);
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
        CvStatus st = scan_term(&sc, sign, obj);
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
    for (size_t j = 0; j < obj->n_named; j++) {
        const LatentNamedTerm *t = &obj->named[j];
        if (!isfinite(t->w))
            return cv_error_set(err, CV_ERR_PARSE, "objective '%.200s': weight of %s out of range",
                                text, t->name);
        if (t->w == 0.0) continue;
        any = 1;
        len = text_term(obj->text, len, sizeof obj->text, t->w, t->name);
    }
    if (!any)
        return cv_error_set(err, CV_ERR_PARSE, "objective '%.200s': every weight is zero", text);
    return CV_OK;
}

void cv_latent_objective_negate(LatentObjective *obj) {
    char t[LATENT_OBJECTIVE_TEXT];
    for (int p = 0; p < LATENT_NPROPS; p++) obj->w[p] = -obj->w[p];
    for (size_t j = 0; j < obj->n_named; j++) obj->named[j].w = -obj->named[j].w;
    snprintf(t, sizeof t, "-(%.*s)", (int)sizeof t - 4, obj->text);
    memcpy(obj->text, t, sizeof t);
}

int cv_latent_objective_rdkit(const LatentObjective *obj) {
    for (size_t j = 0; j < obj->n_named; j++)
        if (obj->named[j].w != 0.0) return 0;
    return 1;
}

double cv_latent_objective_true(const LatentObjective *obj, const ChemScores *s) {
    if (!cv_latent_objective_rdkit(obj)) return NAN;
    const double v[LATENT_NPROPS] = {s->logp, s->qed, s->sa, s->mw, s->penalized_logp};
    double f = 0;
    for (int p = 0; p < LATENT_NPROPS; p++)
        if (obj->w[p] != 0.0) f += obj->w[p] * v[p];
    return f;
}

/* "needs X, which the head does not predict (it predicts: a, b, c)". */
static CvStatus not_predicted(const LatentObjective *obj, const char *what, size_t P,
                              const char *const *names, CvError *err) {
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
                        obj->text, what, P ? have : "nothing");
}

/* The head output of named term `name`: exactly that name, else the one equal ignoring
 * case; -1 (err set) when none or several. */
static int named_output(const LatentObjective *obj, const char *name, size_t P,
                        const char *const *names, CvError *err) {
    int found = -1, second = -1;
    for (size_t k = 0; k < P; k++)
        if (!strcmp(names[k], name)) return (int)k;
    for (size_t k = 0; k < P; k++) {
        if (strcasecmp(names[k], name)) continue;
        if (found < 0) found = (int)k;
        else if (second < 0) second = (int)k;
    }
    if (found >= 0 && second >= 0)
        cv_error_set(err, CV_ERR_INVALID,
                     "objective '%s': %s is ambiguous: the head predicts both %s and %s (write "
                     "the exact name)",
                     obj->text, name, names[found], names[second]);
    else if (found < 0) not_predicted(obj, name, P, names, err);
    return second >= 0 ? -1 : found;
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
        if (at[p] < 0) return not_predicted(obj, prop_names[p], P, names, err);
        wz[at[p]] += w[p] * std[at[p]];
        *offset += w[p] * mean[at[p]];
    }
    for (size_t j = 0; j < obj->n_named; j++) {
        const LatentNamedTerm *t = &obj->named[j];
        if (t->w == 0.0) continue;
        int k = named_output(obj, t->name, P, names, err);
        if (k < 0) return CV_ERR_INVALID;
        wz[k] += t->w * std[k];
        *offset += t->w * mean[k];
    }
    return CV_OK;
}
