/* app_params.h — the parameters of a job, described once. A parameter table lists a
 * job's settings: a name, how a value is read from text, where it is stored in the job's
 * config struct (an offset), a help text, and the key it is recorded under. The same
 * table gives the command line its options and --help, the Python package its keyword
 * arguments, and a run its stored config (cv_params_config), so the three cannot drift
 * apart.
 *
 * A parameter's type (CvParamType) turns text into the field and the field into JSON; a
 * job with a setting of its own kind (a schedule name, a list) defines its own type. Names
 * use '-' between words ("retry-temperature"); cv_params_set also takes '_' ("retry_
 * temperature"), as Python spells keywords. */
#ifndef CHEMVAE_APP_PARAMS_H
#define CHEMVAE_APP_PARAMS_H

#include <stddef.h>
#include <stdio.h>

#include "chemvae/core/error.h"
#include "chemvae/core/json.h"

typedef struct CvParamType {
    int has_value;       /* 0: a switch (sets an int field to 1), 1: takes a value */
    const char *metavar; /* the value's placeholder in help texts ("N", "X", "FILE") */
    /* Reads `text` into `field`. CV_ERR_INVALID with a message naming `name` (as the caller
     * spells it: "--radius", "radius") and the value when it is not one. */
    CvStatus (*parse)(const char *name, const char *text, void *field, CvError *err);
    /* Writes the field's value as the current JSON value (null when unset). */
    void (*to_json)(CvJson *j, const void *field);
} CvParamType;

/* int set to 1 */
extern const CvParamType CV_PARAM_SWITCH;
/* long >= 0 */
extern const CvParamType CV_PARAM_LONG;
/* int in 0..INT_MAX */
extern const CvParamType CV_PARAM_INT;
/* size_t >= 0 */
extern const CvParamType CV_PARAM_SIZE;
/* uint64_t >= 0 */
extern const CvParamType CV_PARAM_U64;
/* finite double */
extern const CvParamType CV_PARAM_DOUBLE;
/* finite float, recorded as the shortest decimal that reads back to the same float */
extern const CvParamType CV_PARAM_FLOAT;
/* double >= 0 (a decoding temperature; 0 = greedy) */
extern const CvParamType CV_PARAM_TEMPERATURE;
/* const char *, borrowed from the caller's text (it must outlive the config) */
extern const CvParamType CV_PARAM_STRING;
/* int: none / syntax / valence (cv_smiles_constrain_parse) */
extern const CvParamType CV_PARAM_CONSTRAIN;
/* int in 1..CV_MAX_RESCUE (app_model.h) */
extern const CvParamType CV_PARAM_RESCUE;
/* char: a CSV field delimiter, one character or "tab" / "\t" (not '"' or a line end, which
 * the CSV reader cannot split on); recorded as a string, null when 0 (auto) */
extern const CvParamType CV_PARAM_DELIMITER;
/* int worker threads, 0 (every CPU, cv_cpu_count) .. CV_PARFOR_MAX_WORKERS: -j of every
 * command that runs RDKit in parallel */
extern const CvParamType CV_PARAM_THREADS;
/* MolinFormat (data/molin.h): auto, csv, smi or sdf (cv_molin_format_parse); recorded as
 * its name */
extern const CvParamType CV_PARAM_INPUT_FORMAT;
/* The end of an --input-format parameter's help text: what `auto` does, up to the format
 * of any other file name, which the parameter's text adds. */
#define CV_INPUT_FORMAT_AUTO "default: smi for .smi/.smiles, sdf for .sdf/.sd\n(also .gz), else "

/* An old spelling of a parameter, kept so that giving it says what it is called now: the
 * entry's metavar holds the new name ("--smiles-col"); reading it is CV_ERR_INVALID with a
 * message naming both (cv_param_read). Not listed in help, not recorded. A switch, so the
 * command line stops at it before reading a value. Declare with CV_PARAM_OLD. */
extern const CvParamType CV_PARAM_RENAMED;

enum {
    CV_PARAM_NOCONFIG = 1, /* not recorded in the run's config (outputs, threads, the DB) */
};

typedef struct {
    const char *name;        /* "retry-temperature"; NULL: a one-letter option only */
    char short_name;         /* the command line's one-letter spelling, or 0 */
    const CvParamType *type; /* how a value is read and recorded */
    size_t offset;           /* of the field in the job's config struct */
    const char *metavar;     /* NULL: the type's */
    const char *help;        /* one or more lines separated by '\n' */
    unsigned flags;          /* CV_PARAM_* */
    const char *key;         /* key in the recorded config; NULL: name with '-' as '_' */
} CvParam;

typedef struct {
    const CvParam *params;
    size_t n;
} CvParamTable;

/* One table entry; optional fields (.flags, .key) follow as designated initializers:
 * CV_PARAM("seed", 0, CV_PARAM_U64, offsetof(CvSampleConfig, seed), "N", "seed"). */
#define CV_PARAM(NAME, SHORT, TYPE, OFFSET, METAVAR, HELP, ...)                                    \
    {                                                                                              \
        .name = (NAME), .short_name = (SHORT), .type = &(TYPE), .offset = (OFFSET),                \
        .metavar = (METAVAR), .help = (HELP), __VA_ARGS__                                          \
    }
/* An old spelling NAME (NULL: none) / SHORT (0: none) of the parameter now called NEW. */
#define CV_PARAM_OLD(NAME, SHORT, NEW)                                                             \
    CV_PARAM(NAME, SHORT, CV_PARAM_RENAMED, 0, NEW, NULL, .flags = CV_PARAM_NOCONFIG)
/* A CvParamTable of a static array. */
#define CV_PARAM_TABLE(arr)                                                                        \
    { (arr), sizeof(arr) / sizeof((arr)[0]) }

/* Reads `text` into p's field of the config at cfg; `name` is p as the caller spells it
 * ("--threads", "threads"). The parser's error, or for an old spelling (CV_PARAM_RENAMED)
 * "NAME is now called NEW". */
CvStatus cv_param_read(const CvParam *p, const char *name, const char *text, void *cfg,
                       CvError *err);

/* The parameter called `name` ('-' and '_' alike), or NULL. */
const CvParam *cv_params_find(const CvParamTable *t, const char *name);

/* Sets parameter `name` of the config at `cfg` from `text` (a switch: any text). CV_ERR_INVALID
 * naming an unknown name, or the parser's error. */
CvStatus cv_params_set(const CvParamTable *t, void *cfg, const char *name, const char *text,
                       CvError *err);

/* The key a parameter is recorded under, into buf (cap bytes). */
const char *cv_param_key(const CvParam *p, char *buf, size_t cap);

/* Writes one member per parameter without CV_PARAM_NOCONFIG (key: value) into the open JSON
 * object j. */
void cv_params_config(const CvParamTable *t, const void *cfg, CvJson *j);

/* Writes t's help to out, one entry per parameter as a command line shows it: "  -c, --name
 * METAVAR", then the help text from column 25 (on the next line when the head is longer),
 * each further line of the text indented alike. */
void cv_params_help(const CvParamTable *t, FILE *out);

/* The readers the types use, for types of a job's own: a non-negative integer (at most
 * max) / a finite real into *out; CV_ERR_INVALID naming `name` and the text otherwise. */
CvStatus cv_param_read_long(const char *name, const char *text, long max, long *out, CvError *err);
CvStatus cv_param_read_double(const char *name, const char *text, double *out, CvError *err);

/* ---- repeatable string parameters (ingest --train-extra, query --param) ---- */
enum { CV_STRINGS_MAX = 32 };
/* The values of a parameter given several times, in order (borrowed from the caller's text,
 * which must outlive the config). */
typedef struct {
    const char *v[CV_STRINGS_MAX];
    size_t n;
} CvStrings;
/* CvStrings: each value is appended (CV_ERR_INVALID past CV_STRINGS_MAX); recorded as an
 * array of strings. */
extern const CvParamType CV_PARAM_STRINGS;
/* ---- end of repeatable string parameters ---- */

#endif
