/* app_ingest.h — the ingest job: a CSV (or TSV), SMILES file or SDF of molecules, plain or
 * gzip → a dataset file (.cvds), through cv_ingest_csv (ingest.h: validation, optional
 * standardization, canonical SMILES, duplicates, tokens, splits), with the paths of its outputs
 * worked out, checked before any work, and the dataset (and optionally its vocabulary) saved. Bad
 * rows go to the reject CSV; the counts add up: rows = accepted + rejected + duplicates. Nothing is
 * recorded in a results DB. */
#ifndef CHEMVAE_APP_INGEST_H
#define CHEMVAE_APP_INGEST_H

#include <stdio.h>

#include "chemvae/app/app.h"
#include "chemvae/app/app_params.h"
#include "chemvae/data/ingest.h"

typedef struct {
    const char *input;     /* the molecules; "-" = stdin (then `output` is required) */
    const char *output;    /* dataset to write; NULL: input with .cvds for its extension
                              (.csv.gz, .sdf.gz, .smi.gz, .tsv, .csv, .smi, .smiles, .sdf,
                              .sd, .txt or .cvds) */
    const char *rejects;   /* reject CSV; NULL: output with .rejects.csv for .cvds */
    const char *vocab;     /* vocabulary file to use; NULL: built from the train split */
    const char *vocab_out; /* also save the dataset's vocabulary here; NULL: no */
    CvStrings train_extra; /* more CSVs for the train split only (ingest.train_files) */
    IngestOptions ingest;  /* the rest (its vocab, reject_path, train_files and on_batch
                              are set by the job) */
} CvIngestConfig;

/* The defaults: no paths, cv_ingest_options_default. */
void cv_ingest_config_default(CvIngestConfig *cfg);

/* The job's parameters (app_params.h): output (-o), smiles-col, props, compute, delimiter
 * (-d), input-format, no-canonical, standardize, tautomer, vocab, unk, vocab-out, max-len
 * (-T), split, train-extra, split-col, seed, rejects, threads (-j). The input is the
 * caller's. */
extern const CvParamTable cv_ingest_params;

typedef struct {
    char *output, *rejects; /* the paths used (malloc'd; set once worked out) */
    int counted;            /* 1: stats hold the counts of the input (the job succeeded, or
                               failed with CV_ERR_EMPTY because no row was usable) */
    int interrupted;        /* what CvHooks.interrupted returned, or 0: nothing written */
    IngestStats stats;
    /* the dataset written (on success): molecules, rows per split, row length, vocabulary
     * size, properties, valid/test rows holding <unk> */
    size_t n, count[CV_NSPLITS], T, V, P, unk_rows;
} CvIngestResult;

/* Runs the job. h (NULL-able) gets progress (rows read so far, total unknown: 0) before
 * the first batch and after each, and is polled then: when interrupted the job stops,
 * writes nothing (no dataset, no reject file) and returns CV_OK with res->interrupted set;
 * its DB is not used. Errors: CV_ERR_INVALID for stdin without an output path or unk_ok
 * without a vocabulary; CV_ERR_IO for an output that cannot be written (checked before
 * reading) or an unreadable input; the errors of cv_vocab_load, cv_ingest_csv (CV_ERR_PARSE
 * for a bad header, CV_ERR_EMPTY when no row is usable: res->counted is set) and
 * cv_dataset_save. Free *res with cv_ingest_result_free in every case. */
CvStatus cv_ingest(const CvIngestConfig *cfg, const CvHooks *h, CvIngestResult *res, CvError *err);
void cv_ingest_result_free(CvIngestResult *res);

/* The summary of a successful job as one JSON value (an object): input, output, rows,
 * accepted, rejected, duplicates, seconds, rejects_by_kind {kind: count, every kind},
 * train_extra, standardized, n, train, valid, test, T, V, P, unk_rows. */
void cv_ingest_result_json(const CvIngestConfig *cfg, const CvIngestResult *res, CvJson *j);

/* The result of a successful job on fp, as `chemvae ingest` prints it on stdout: with json,
 * cv_ingest_result_json's object and a newline; else the CSV header
 * input,output,rows,accepted,rejected,duplicates,seconds,train,valid,test,T,V,P and one row.
 * CV_ERR_NOMEM when the JSON text could not be built (nothing is written then). */
CvStatus cv_ingest_result_write(FILE *fp, const CvIngestConfig *cfg, const CvIngestResult *res,
                                int json, CvError *err);

/* The summary for a person on fp (`chemvae ingest` prints it on stderr), also after a job
 * that found no usable row (res->counted set; the counts say why): rows = accepted + rejected
 * + duplicates with the seconds, the count of each reject kind met, the rows of train_extra,
 * the rows standardization changed, the reject file, and with `written` (the job succeeded)
 * the dataset written: its path, rows per split, T, V, P and whether valid/test rows hold
 * <unk>. */
void cv_ingest_summary(const CvIngestConfig *cfg, const CvIngestResult *res, int written, FILE *fp);

#endif
