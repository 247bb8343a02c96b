/* wb tag RUN TEXT, wb note RUN TEXT: what people write about a run, kept in the database
 * (store_add_note) and shown by wb show and wb ls. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"

static const char tag_usage[] =
    "usage: wb tag RUN TEXT [--remove] [--db PATH | --ini FILE.ini]\n\n"
    "Tags a run (a word or short phrase: 'baseline', 'bad data'); wb ls lists a run's tags and\n"
    "wb show shows them. A tag given twice is kept once.\n\n"
    CMD_DB_USAGE
    "  --remove         take the tag off instead\n";

static const char note_usage[] =
    "usage: wb note RUN TEXT [--remove] [--db PATH | --ini FILE.ini]\n\n"
    "Attaches a note to a run (any text, with the time it was written); wb show shows the notes,\n"
    "wb ls how many there are.\n\n"
    CMD_DB_USAGE
    "  --remove         remove the note with exactly this text instead\n";

static int annotate(const char *cmd, const char *usage, enum store_note_kind kind, int argc,
                    char **argv)
{
    cmd_db d = { 0 };
    int remove = 0;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "remove", .flag = &remove },
                                { 0 } };
    int status = cmd_parse_db(cmd, usage, argc, argv, opts, 2, &d);
    if (status >= 0)
        return status;
    const char *run = argv[optind], *text = argv[optind + 1];
    if (!*text) {
        wb_error(cmd, "the %s is empty", cmd);
        return WB_EXIT_USAGE;
    }
    store *s;
    if ((status = cmd_open_store(cmd, d.path, STORE_OPEN_EXISTING, &s)) != WB_EXIT_OK)
        return status == WB_EXIT_FAILURE && access(d.path, F_OK) != 0 ? WB_EXIT_USAGE : status;
    char err[2048];
    int64_t run_id;
    int changed = 0;
    if (store_lookup_run(s, run, &run_id, err, sizeof err) != 0) {
        wb_error(cmd, "%s", err);
        status = WB_EXIT_USAGE;
    } else if ((remove ? store_remove_note(s, run_id, kind, text, &changed, err, sizeof err)
                       : store_add_note(s, run_id, kind, text, &changed, err, sizeof err)) != 0) {
        wb_error(cmd, "%s", err);
        status = WB_EXIT_FAILURE;
    } else if (remove && !changed) {
        wb_error(cmd, "run %lld has no %s '%s' (its tags and notes: wb show %lld %s)",
                 (long long)run_id, cmd, text, (long long)run_id, d.hint);
        status = WB_EXIT_USAGE;
    } else {
        printf("run %lld: %s %s (wb show %lld %s)\n", (long long)run_id, cmd,
               remove ? "removed" : changed ? "added" : "there already, kept once",
               (long long)run_id, d.hint);
    }
    store_close(s);
    return status;
}

int cmd_tag(int argc, char **argv)
{
    return annotate("tag", tag_usage, STORE_TAG, argc, argv);
}

int cmd_note(int argc, char **argv)
{
    return annotate("note", note_usage, STORE_NOTE, argc, argv);
}
