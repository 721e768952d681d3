/* chemvae_sqlite.c — the chemistry SQL functions of the results DB as an SQLite loadable
 * extension, build/chemvae_sqlite.so (installed in PREFIX/lib), so any SQLite client can
 * search results by chemistry:
 *
 *   sqlite3 results/chemvae.db
 *   sqlite> .load build/chemvae_sqlite
 *   sqlite> SELECT smiles FROM molecules WHERE has_substruct(smiles, 'c1ccncc1') AND qed(smiles) >
 * 0.8;
 *
 * (Python: conn.enable_load_extension(True); conn.load_extension("build/chemvae_sqlite")).
 * The functions are those of src/store/sqlfunc.c, registered by cv_store_sql_register_chem.
 * The extension calls SQLite directly rather than through the host's API table, so the
 * host must use the system's shared libsqlite3 (the sqlite3 shell and Python's sqlite3
 * module on Debian do); only the entry point is exported (src/sqlite_ext/exports.map). */
#include <sqlite3.h>

#include "chemvae/store/store.h"

/* The entry point SQLite derives from the file name chemvae_sqlite.so. */
int sqlite3_chemvaesqlite_init(sqlite3 *db, char **errmsg, const void *api);

int sqlite3_chemvaesqlite_init(sqlite3 *db, char **errmsg, const void *api) {
    (void)api;
    int rc = cv_store_sql_register_chem(db);
    if (rc != SQLITE_OK && errmsg)
        *errmsg = sqlite3_mprintf("chemvae_sqlite: registering the chemistry functions failed: %s",
                                  sqlite3_errstr(rc));
    return rc;
}
