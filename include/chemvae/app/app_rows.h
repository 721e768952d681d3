/* app_rows.h — a table of result rows written as CSV, JSON, SDF or a SMILES file from one
 * description of the fields: what the jobs that print molecules (sample, optimize,
 * interpolate) hand their rows to, so every front end writes the same columns.
 *
 * CSV: a header line and one line per row (the values as they are; text through the RFC
 * 4180 writer of core/csvout). JSON: an array with one object per row (text through the
 * JSON writer, numbers as formatted for the CSV, a missing value as null).
 * SDF (V2000): one record per row: the row's molecule (cv_row_smiles) with 2D coordinates
 * from RDKit, titled with the row's name, then every field as a data item "> <key>" (a
 * missing value is left out; line ends in text become spaces), then "$$$$". A molecule
 * RDKit cannot read is a record without atoms, its fields still there.
 * SMILES file: "SMILES NAME" per row, no header (the other fields are not written).
 * A row's name is "<name_prefix>-<row number from 1>", e.g. "sample-3".
 *
 * Use: cv_rows_begin, then per row one call per field in the header's order followed by
 * cv_row_end, then cv_rows_end. A CvRows owns a JSON buffer: cv_rows_end frees it. */
#ifndef CHEMVAE_APP_ROWS_H
#define CHEMVAE_APP_ROWS_H

#include <stddef.h>
#include <stdio.h>

#include "chemvae/app/app_params.h"
#include "chemvae/chem/chem.h"
#include "chemvae/core/buf.h"
#include "chemvae/core/json.h"

typedef enum { CV_ROWS_CSV, CV_ROWS_JSON, CV_ROWS_SDF, CV_ROWS_SMI } CvRowsFormat;

typedef struct {
    FILE *fp;
    CvRowsFormat format;
    size_t rows;   /* rows ended */
    size_t fields; /* fields of the current row (the first one begins it) */
    CvJson obj;    /* JSON: the current row */
    const char *name_prefix;
    int digits;   /* decimals of cv_row_real (cv_rows_begin: 4) */
    char *name;   /* SDF, SMILES file: the current row's name (cv_row_name), or NULL */
    CvBuf items;  /* SDF: the current row's data items */
    char *smiles; /* SDF, SMILES file: the current row's molecule */
} CvRows;

/* "csv" / "json" / "sdf" / "smi" -> *format: 0, or -1 for another name. */
int cv_rows_format_parse(const char *name, CvRowsFormat *format);
const char *cv_rows_format_name(CvRowsFormat format);
/* A CvRowsFormat field: --format F, and --json, a switch named after its format. Neither
 * is recorded in a run's config (an output choice). */
extern const CvParamTable cv_rows_params;
/* The same limited to csv and json, for results that are not molecules (eval's and metrics'
 * metric,value rows, ingest's summary): --format F ("F expects csv or json, got ..."
 * otherwise) and --json; neither recorded. */
extern const CvParamTable cv_rows_csv_json_params;

/* Starts the table on fp: "[" (JSON) or the CSV header line csv_header (the keys of the
 * fields, comma-separated); name_prefix names the rows of SDF and SMILES files (NULL:
 * "mol"; borrowed for the table's life). */
void cv_rows_begin(CvRows *t, FILE *fp, CvRowsFormat format, const char *csv_header,
                   const char *name_prefix);
/* The row's name in SDF and SMILES files instead of "<name_prefix>-<row number>" (a record
 * read from a molecule file keeps its own); not a field. */
void cv_row_name(CvRows *t, const char *name);
/* The row's molecule: a text field that SDF and SMILES files also write as the record. */
void cv_row_smiles(CvRows *t, const char *key, const char *smiles);
/* A row's fields, each under its JSON key. Text (NULL: empty): */
void cv_row_text(CvRows *t, const char *key, const char *s);
void cv_row_count(CvRows *t, const char *key, size_t v);
/* A real with t->digits decimals (%.4f unless set). */
void cv_row_real(CvRows *t, const char *key, double v);
/* The same, or when not finite an empty CSV field / JSON null. */
void cv_row_real_or_none(CvRows *t, const char *key, double v);
/* A real as %.7g (a float's digits), or when not finite an empty CSV field / JSON null. */
void cv_row_float(CvRows *t, const char *key, double v);
/* CSV 0 / 1, JSON false / true. */
void cv_row_flag(CvRows *t, const char *key, int v);
/* mw, logp, qed, sa, penalized_logp as reals. */
void cv_row_scores(CvRows *t, const ChemScores *s);
/* Ends the row. */
void cv_row_end(CvRows *t);
/* Ends the table ("\n]\n" in JSON), flushes fp and frees t's memory. */
void cv_rows_end(CvRows *t);

#endif
