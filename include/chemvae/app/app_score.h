/* app_score.h — the score job: validity, canonical SMILES and the RDKit scores (MW, logP,
 * QED, SA, penalized logP; chem.h) of many SMILES, in input order.
 *
 * Input: a list of SMILES given by the caller, or a file (or stdin) holding one SMILES per
 * line, or a CSV file (csvin.h: comma-separated, quoted fields, embedded commas and
 * newlines, plain or gzip) of which one column, named in its header, is scored, or a
 * SMILES file or an SDF (molin.h: `SMILES name` lines; molblocks, read by RDKit as
 * Chem.MolFromMolBlock reads them), whose rows carry the records' names. Each value is
 * trimmed of surrounding whitespace and cut at a NUL byte. Every input row gives one output
 * row; a value RDKit cannot parse gives a row with valid = 0, and so does a CSV record with
 * broken quoting (its first line as the input, with a message naming the file and line;
 * csvin resynchronizes on the next line) and a molecule-file record that is not one or an
 * SDF record RDKit cannot read (a message naming the file, line, record number and name;
 * a SMILES file's invalid SMILES is data, as in the other inputs). Only input
 * that cannot be read (a missing file, a CSV without a header or without the column) is an
 * error.
 *
 * Flow: rows are gathered in batches of CV_SCORE_BATCH, each batch is scored by `threads`
 * workers (cv_parallel_for, one row at a time from a shared counter; chem is reentrant)
 * and handed to the caller's sink, then the batch is reused: memory stays bounded for any
 * input size, and rows reach the sink in input order with the same values whatever the
 * thread count. Nothing is recorded in a results DB. */
#ifndef CHEMVAE_APP_SCORE_H
#define CHEMVAE_APP_SCORE_H

#include "chemvae/app/app.h"
#include "chemvae/app/app_params.h"
#include "chemvae/app/app_rows.h"
#include "chemvae/chem/chem.h"
#include "chemvae/data/molin.h"

enum { CV_SCORE_BATCH = 2048 };

typedef struct {
    const char *const *smiles; /* (n_smiles) the values to score; NULL: read `input` */
    size_t n_smiles;
    const char *input;  /* file to read; NULL or "-": stdin */
    const char *column; /* NULL: one SMILES per line; else the input is CSV and the column
                           with exactly this header name is scored */
    MolinFormat format; /* of the input: MOLIN_AUTO = CSV with a column, else a SMILES file or
                           SDF by its extension (cv_molin_format_of), else lines; MOLIN_CSV:
                           CSV, the column `column` or else "smiles"; not MOLIN_SMI or
                           MOLIN_SDF with a column */
    int threads;        /* workers, 1..CV_PARFOR_MAX_WORKERS; 0: every CPU */
} CvScoreConfig;

#define CV_SCORE_DEFAULTS                                                                          \
    { .threads = 0 }

/* The job's parameters (app_params.h): input (-i), smiles-col (the column), input-format,
 * threads (-j: 0..CV_PARFOR_MAX_WORKERS, checked as it is read), and the old spellings
 * --column / -c / -t, which name the new ones. The SMILES list is the caller's. */
extern const CvParamTable cv_score_params;

/* One scored value (strings valid only during the sink call). */
typedef struct {
    size_t index;          /* 0-based row of the input */
    const char *input;     /* the value as scored (trimmed; an SDF record's molblock) */
    const char *name;      /* a SMILES-file or SDF record's name ("" when it has none);
                              NULL for the other inputs */
    int molblock;          /* input is an SDF record's molblock */
    int valid;             /* 1: RDKit parsed and scored it */
    const char *canonical; /* canonical SMILES when valid, else NULL */
    ChemScores scores;     /* when valid */
    const char *error;     /* why the row is invalid when RDKit not parsing a value is not
                              the whole story: "<file> line N: <reason>" for a CSV record that
                              is not valid CSV (input then holds its first line), "<file> line
                              N: record K (<name>): <reason>" for a molecule-file record that
                              is not one or an SDF record RDKit cannot read, "<input>:
                              <reason>" for a
                              molecule RDKit could not score; else NULL */
} CvScoreRow;

/* Where the rows go: called once per batch with its n rows in input order. A non-CV_OK
 * return (with err set) stops the job with that status. */
typedef struct {
    CvStatus (*rows)(void *user, const CvScoreRow *rows, size_t n, CvError *err);
    void *user;
} CvScoreSink;

typedef struct {
    size_t n_rows, n_valid; /* rows handed to the sink */
    int interrupted;        /* what CvHooks.interrupted returned, or 0 */
} CvScoreResult;

/* Runs the job. h (NULL-able) gets progress (rows done; total known only for a list) and
 * is polled between batches: when interrupted the job stops reading and returns CV_OK with
 * res->interrupted set (its DB is not used). Errors: CV_ERR_INVALID for a config out of
 * range or a column with a SMILES-file or SDF format; CV_ERR_IO naming the input when it cannot be
 * read; CV_ERR_PARSE naming the file (and line) for a CSV without a header, without the column, or
 * with a broken header; CV_ERR_NOMEM; whatever the sink returns. Rows of the batch being gathered
 * when an error happens are not delivered. */
CvStatus cv_score(const CvScoreConfig *cfg, const CvScoreSink *sink, const CvHooks *h,
                  CvScoreResult *res, CvError *err);

/* The score job's rows as a table on fp (app_rows.h), the columns CV_SCORE_COLUMNS: the
 * input (a molecule-file record by its name, which also names its SDF record), valid, the
 * canonical SMILES (the molecule of SDF and SMILES-file output), then the scores with
 * `digits` decimals (empty when invalid). Begin, write each batch, then cv_rows_end. */
#define CV_SCORE_COLUMNS "input,valid,canonical_smiles,mw,logp,qed,sa,penalized_logp"
void cv_score_write_begin(CvRows *t, FILE *fp, CvRowsFormat format, int digits);
void cv_score_write(CvRows *t, const CvScoreRow *rows, size_t n);

#endif
