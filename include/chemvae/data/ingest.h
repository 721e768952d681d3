/* ingest.h — CSV file (or SMILES file, or SDF) → validated, canonical, deduplicated,
 * tokenized dataset (.cvds).
 *
 * Pipeline per row (src/data/ingest.c): CSV record (csvin) → field count check → SMILES
 * (trimmed; printable ASCII only) → RDKit parse (optionally standardized: the charge
 * parent, optionally its canonical tautomer, chem.h) + canonical SMILES (chem_*) →
 * tokenize, at most T-1 tokens → tokens in the given vocabulary (if one is given) →
 * property fields parsed as finite numbers, missing ones computed with RDKit → duplicate
 * check on the canonical SMILES (first occurrence wins). Rows are checked in parallel
 * batches and committed in input order, so the result does not depend on the thread count.
 *
 * Molecule files (molin.h) are rows too: a SMILES file's columns are `smiles` and `name`;
 * an SDF record's are `molblock` (the SMILES column unless smiles_col names a data item
 * holding SMILES), `name` (the title line) and its data items by name (matched in any
 * case; an item a record lacks is an empty field, so a property it lacks is
 * missing_property). The default properties are those of logP, qed, SAS among the first
 * record's items. The molblock is read by RDKit and canonicalized like a SMILES. A record
 * that cannot be one (no "M  END" line, too long, a NUL byte) is a `record` reject; one
 * RDKit cannot read is `invalid_smiles`; the rest of the file goes on.
 *
 * Every data row ends in exactly one of: accepted, rejected (with a kind and a reason, and
 * a line in the reject CSV), duplicate. So rows == accepted + rejected + duplicates.
 * The header line is not a row; blank lines are not rows. Memory: the batch being checked,
 * the accepted SMILES and properties, and the duplicate set; nothing else grows with the
 * number of rows.
 *
 * Reject CSV columns: line,kind,reason,text — line is the 1-based physical line the row
 * starts on, kind one of cv_ingest_reject_name(), reason a sentence naming the value at fault
 * (and an SDF record's number), text the original row (line end removed; control and
 * non-ASCII bytes as \xNN; an SDF record's title line). */
#ifndef CHEMVAE_INGEST_H
#define CHEMVAE_INGEST_H

#include <stddef.h>

#include "chemvae/core/error.h"
#include "chemvae/data/dataset.h"
#include "chemvae/data/molin.h"
#include "chemvae/data/vocab.h"

typedef enum {
    INGEST_BAD_CSV = 0,   /* not valid CSV (broken quoting) */
    INGEST_BAD_FIELDS,    /* field count differs from the header */
    INGEST_NO_SMILES,     /* SMILES field empty */
    INGEST_BAD_SMILES,    /* RDKit cannot parse it, or it holds binary/whitespace bytes */
    INGEST_NO_PROP,       /* a property field is empty */
    INGEST_BAD_PROP,      /* a property field is not a finite number */
    INGEST_TOO_LONG,      /* more than T-1 tokens after canonicalization */
    INGEST_UNTOKENIZABLE, /* canonical SMILES has a character the tokenizer refuses */
    INGEST_UNKNOWN_TOKEN, /* token not in the given vocabulary (without unk_ok) */
    INGEST_CHEM_ERROR,    /* RDKit failed to score a molecule it parsed */
    INGEST_BAD_SPLIT,     /* --split-col value is not train / valid / test */
    INGEST_BAD_RECORD,    /* a molecule-file record that is not one (molin.h) */
    INGEST_NKINDS
} IngestReject;

/* Short name of a reject kind ("csv", "fields", "missing_smiles", ...). */
const char *cv_ingest_reject_name(IngestReject kind);

typedef struct {
    const char *smiles_col; /* column name (case-insensitive); NULL = first named "smiles" */
    const char *split_col;  /* column holding each row's split (train; valid, validation, val,
                               dev; test, test_scaffolds... = anything starting with "test"),
                               used instead of the seeded shuffle; NULL = shuffle */
    const char *props;      /* comma list of property columns to read; NULL = whichever of
                               logP, qed, SAS the header has; "" = none */
    const char *compute;    /* comma list of properties to compute: logp, qed, sa, mw, plogp;
                               NULL = those of logp, qed, sa not read from the file; "" none */
    char delim;             /* 0 = auto (',' or tab) */
    MolinFormat format;     /* of the input: MOLIN_AUTO = by its extension (.smi, .sdf, ...:
                               cv_molin_format_of); the train_files go by their own */
    int no_canonical;       /* keep SMILES as written (still validated); not with a molblock
                               column or standardization */
    int standardize;        /* replace each molecule by its charge parent (chem.h) */
    int tautomer;           /* ... and that by its canonical tautomer (implies standardize) */
    const CvVocab *vocab;   /* NULL = build the vocabulary from the train split */
    int unk_ok;             /* with vocab: unknown tokens become <unk> instead of rejects */
    CvDatasetOptions ds;    /* T, split ratios, seed */
    const char *const *train_files; /* (n_train_files) more CSVs whose accepted rows all join
                               the train split, after the input's rows; the input's own
                               valid/test split is the one it gets alone. A molecule already
                               accepted (from the input or an earlier file) is a duplicate.
                               Same SMILES column option; the property columns must be there
                               by the same names (computed ones are computed alike). */
    size_t n_train_files;
    const char *reject_path; /* reject CSV; NULL = none */
    int threads;             /* 0 = number of online CPUs */
    /* Called with the number of rows read so far, 0 before the first, then after each batch
     * (of every file); non-zero stops the ingest with CV_ERR_INTERRUPTED. NULL: none. */
    int (*on_batch)(void *user, size_t rows);
    void *user;
} IngestOptions;

typedef struct {
    size_t rows, accepted, rejected, duplicates;
    size_t by_kind[INGEST_NKINDS];
    size_t P_read, P_computed;
    size_t train_extra;  /* accepted rows that came from train_files */
    size_t standardized; /* rows kept (accepted or duplicate) whose canonical SMILES the
                            standardization changed */
    double seconds;      /* wall time of cv_ingest_csv */
} IngestStats;

/* Fills *o with the defaults (everything NULL/0, ds = cv_dataset_options_default). */
void cv_ingest_options_default(IngestOptions *o);

/* Ingests `path` ("-" = stdin) into *ds (overwritten; free with cv_dataset_free).
 * Errors (*ds left empty): CV_ERR_INVALID (no_canonical with standardization or a molblock
 * column), CV_ERR_IO (input or reject file), CV_ERR_PARSE (no header, no
 * SMILES column, a --props column missing, unknown --compute name), CV_ERR_EMPTY (no row
 * accepted; the message gives the counts and the most common reject reason),
 * CV_ERR_INTERRUPTED (on_batch asked to stop; no reject file is left).
 * *stats (may be NULL) is filled in every case that got past the header. */
CvStatus cv_ingest_csv(const char *path, const IngestOptions *opt, CvDataset *ds,
                       IngestStats *stats, CvError *err);

#endif
