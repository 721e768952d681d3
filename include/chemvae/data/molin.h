/* molin.h — molecule files read record by record: SMILES files and SDF, streamed, with line
 * numbers for messages. (CSV is csvin.h's.)
 *
 * SMILES file (.smi, .smiles): one molecule a line, `SMILES name`: the SMILES is the line's
 * first whitespace-separated field, the name the rest of the line with surrounding
 * whitespace removed ("" when there is none; a name may hold spaces). Blank lines and lines
 * starting with '#' are skipped, and so is a first line whose first field is "smiles" (any
 * case: the header ZINC's files have). Records have no data items.
 *
 * SDF (.sdf, .sd): records ending in a line "$$$$" (the last one may lack it). A record is
 * a molblock — V2000 or V3000, from its title line through its "M  END" line — then data
 * items: a header line starting with '>' that names the item between '<' and '>' ("> <pIC50>
 * (12)", "" when there are no brackets), then its value lines up to a blank line (joined
 * with '\n'). The name is the title line, trimmed. Lines between the items are ignored.
 *
 * Both: line ends LF, CRLF or CR (delivered as '\n'); a UTF-8 byte order mark is skipped.
 * Nothing here parses chemistry: the SMILES or molblock goes to RDKit (chem.h) as it is.
 *
 * Bad input never stops the stream. A record that cannot be one is delivered as an error
 * record (error != NULL, mol "", no items) and reading goes on with the next: an SDF record
 * without an "M  END" line, a record (SDF) or line (SMILES file) longer than
 * max_record_bytes, one holding a NUL byte. So every record of the file is delivered once,
 * numbered in file order, good or not.
 *
 * Push interface as csvin's: cv_molin_feed() chunks of any size (the records do not depend
 * on how the input is cut), then cv_molin_finish(). Memory: bounded by max_record_bytes,
 * never by the number of records. */
#ifndef CHEMVAE_MOLIN_H
#define CHEMVAE_MOLIN_H

#include <stddef.h>

#include "chemvae/core/error.h"

/* The format of a molecule input: MOLIN_AUTO = from the file name (cv_molin_format_of). */
typedef enum { MOLIN_AUTO = 0, MOLIN_CSV, MOLIN_SMI, MOLIN_SDF } MolinFormat;

/* "auto", "csv", "smi", "sdf". */
const char *cv_molin_format_name(MolinFormat f);
/* Reads one of those names (also "smiles", "sd", any case) into *out: 0, or -1 when `name`
 * is none of them. */
int cv_molin_format_parse(const char *name, MolinFormat *out);
/* `given` unless it is MOLIN_AUTO; else by the extension of `path` (any case, after a
 * ".gz"): .smi and .smiles are MOLIN_SMI, .sdf and .sd MOLIN_SDF, anything else (and NULL
 * or "-", stdin) MOLIN_CSV. */
MolinFormat cv_molin_format_of(const char *path, MolinFormat given);

typedef struct {
    size_t number;   /* 1-based record number in the file */
    size_t line;     /* 1-based line the record starts on (an SDF record: its title line) */
    const char *mol; /* NUL-terminated: the SMILES, or the molblock (title line through the
                        "M  END" line, '\n' after each line); "" in an error record */
    size_t mol_len;
    int molblock;              /* 1: mol is a molblock (SDF) */
    const char *name;          /* the name ("" when none) */
    const char *first;         /* the record's first line as read (its end removed), for reports */
    size_t nitems;             /* SDF data items, in file order */
    const char *const *tags;   /* (nitems) item names */
    const char *const *values; /* (nitems) item values */
    const char *error;         /* NULL, or why this is not a record (static text) */
} MolinRecord;

/* Called once per record; return 0 to continue, non-zero to stop (cv_molin_feed / finish
 * then return CV_ERR_INTERRUPTED without a message). The record and its strings are valid
 * only during the call. */
typedef int (*MolinRecordFn)(const MolinRecord *rec, void *user);

typedef struct {
    MolinFormat format;      /* MOLIN_SMI or MOLIN_SDF */
    size_t max_record_bytes; /* 0 = 4 MiB: longest SDF record / SMILES-file line */
} MolinOptions;

typedef struct Molin Molin; /* opaque */

/* Creates a reader; *out is NULL on failure. CV_ERR_INVALID for a format other than
 * MOLIN_SMI / MOLIN_SDF, CV_ERR_NOMEM. */
CvStatus cv_molin_open(Molin **out, const MolinOptions *opt, MolinRecordFn fn, void *user,
                       CvError *err);
/* Reads n more bytes. CV_OK, CV_ERR_NOMEM, or CV_ERR_INTERRUPTED (the callback). */
CvStatus cv_molin_feed(Molin *r, const char *buf, size_t n, CvError *err);
/* Delivers the last record (a file need not end with a line end or "$$$$"). Call once,
 * after the last feed. */
CvStatus cv_molin_finish(Molin *r, CvError *err);
void cv_molin_close(Molin *r); /* NULL-safe */

/* Convenience: opens `path` ("-" = stdin), plain or gzip-compressed (detected from the
 * bytes), and streams it through a reader. CV_ERR_IO naming the path for an unreadable
 * file or a damaged gzip stream. */
CvStatus cv_molin_read_file(const char *path, const MolinOptions *opt, MolinRecordFn fn, void *user,
                            CvError *err);

#endif
