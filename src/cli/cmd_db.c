/* cmd_db.c — `chemvae db copy SRC... DST`: each source results DB (an SQLite file or a
 * postgresql:// URI) copied into DST, one transaction per source (store.h cv_store_copy:
 * run and molecule ids remapped, molecules merged by canonical SMILES). Prints a CSV row of
 * counts per source. */
#include <stdio.h>
#include <string.h>

#include "chemvae/core/csvout.h"
#include "chemvae/store/store.h"
#include "cli.h"
#include "options.h"

static const CliCommand COMMAND = {
    .name = "db",
    .synopsis = "copy SRC... DST",
    .intro = "Copies every run, molecule, generation, metric and score of each SRC into DST\n"
             "(SQLite files or postgresql://... URIs, either way), one transaction per source.\n",
    .epilog = "Prints 'source,runs,generations,molecules,new_molecules,training_rows,eval_metrics,"
              "scores' CSV.\n",
    .max_operands = -1};

int cmd_db(int argc, char **argv) {
    int first = argc, rc = cli_options_parse(&COMMAND, argc, argv, NULL, &first);
    if (rc) return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    if (argc - first < 3 || strcmp(argv[first], "copy"))
        return cli_usage_error(COMMAND.name, "usage: chemvae db copy SRC... DST");
    Store *dst = NULL, *src = NULL;
    CvError err = {0};
    if (cv_store_open(argv[argc - 1], 0, &dst, &err)) return cli_report(COMMAND.name, &err);
    printf("source,runs,generations,molecules,new_molecules,training_rows,eval_metrics,scores\n");
    for (int i = first + 1; i < argc - 1 && !rc; i++, cv_store_close(src), src = NULL) {
        StoreCopyStats n;
        if (cv_store_open(argv[i], STORE_READ_ONLY, &src, &err) ||
            cv_store_copy(src, dst, &n, &err)) {
            rc = cli_report(COMMAND.name, &err);
            continue;
        }
        cv_csv_field(stdout, cv_store_path(src), strlen(cv_store_path(src)), CV_CSV_ESCAPE_BYTES);
        printf(",%lld,%lld,%lld,%lld,%lld,%lld,%lld\n", (long long)n.runs, (long long)n.generations,
               (long long)n.molecules, (long long)n.new_molecules, (long long)n.training_rows,
               (long long)n.eval_metrics, (long long)n.scores);
    }
    cv_store_close(dst);
    return rc;
}
