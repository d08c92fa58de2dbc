/* virtperf cleanup [--dry-run] [--json]: remove what killed runs left. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/doc.h"
#include "core/json.h"
#include "platform/cgroup.h"
#include "platform/journal.h"

struct cleanup_opts {
    bool dry_run, json;
};

static const struct vp_opt cleanup_opt_table[] = {
    {"dry-run", VP_OPT_BOOL, offsetof(struct cleanup_opts, dry_run), NULL, 0, 0, NULL,
     "only say what would be removed", false},
    {"json", VP_OPT_BOOL, offsetof(struct cleanup_opts, json), NULL, 0, 0, NULL,
     "print JSON (sections start, rounds (none), end with the journals, orphans and counts, "
     "error)",
     false},
    VP_OPT_END,
};

/* How long a second cleanup waits for the first before it says "busy". */
#define LOCK_WAIT_MS 2000

struct sweep_state {
    struct cleanup_opts *o;
    struct vp_doc doc;
    struct vp_json *j; /* the document's end, with --json */
    bool in_journal, orphans;
    char file[1024]; /* the journal whose object is open */
    int removed, gone, failed, refused;
};

/* Open the JSON object of a journal (once per file). */
static void journal_begin(struct sweep_state *s, const char *file, long pid, bool in_use)
{
    if (s->in_journal) {
        vp_json_array_end(s->j);
        vp_json_object_end(s->j);
    }
    vp_json_object_begin(s->j, NULL);
    vp_json_string(s->j, "file", file);
    vp_json_int(s->j, "pid", pid);
    vp_json_bool(s->j, "in_use", in_use);
    vp_json_array_begin(s->j, "entries");
    s->in_journal = true;
    snprintf(s->file, sizeof s->file, "%s", file);
}

static void on_journal(void *arg, const char *file, long pid, bool in_use)
{
    struct sweep_state *s = arg;
    if (!s->o->json) {
        if (in_use)
            printf("%s: process %ld is running, left alone\n", file, pid);
        return;
    }
    journal_begin(s, file, pid, in_use);
}

/* A line not acted on: one line of output each, with its reason. */
static void on_refused(void *arg, const char *file, int line, const char *what, const char *reason,
                       bool failure)
{
    struct sweep_state *s = arg;
    s->refused++;
    s->failed += failure;
    if (!s->o->json) {
        printf("refused %s:%d%s%s: %s\n", file, line, what ? " " : "", what ? what : "", reason);
        return;
    }
    if (!s->in_journal || strcmp(s->file, file) != 0)
        journal_begin(s, file, 0, false);
    vp_json_object_begin(s->j, NULL);
    vp_json_int(s->j, "line", line);
    vp_json_string(s->j, "what", what);
    vp_json_string(s->j, "result", "refused");
    vp_json_string(s->j, "error", reason);
    vp_json_bool(s->j, "failure", failure);
    vp_json_object_end(s->j);
}

static void on_entry(void *arg, enum vp_res kind, const char *what, int result)
{
    struct sweep_state *s = arg;
    const char *verb = result > 0    ? (s->o->dry_run ? "would remove" : "removed")
                       : result == 0 ? "already gone"
                                     : "failed to remove";
    if (result > 0)
        s->removed++;
    else if (result == 0)
        s->gone++;
    else
        s->failed++;
    if (!s->o->json) {
        const char *no_journal = s->orphans ? " (no journal)" : "";
        if (result < 0)
            printf("%s %s %s%s: %s\n", verb, vp_res_name(kind), what, no_journal,
                   strerror(-result));
        else if (result > 0)
            printf("%s %s %s%s\n", verb, vp_res_name(kind), what, no_journal);
        return;
    }
    vp_json_object_begin(s->j, NULL);
    vp_json_string(s->j, "kind", vp_res_name(kind));
    vp_json_string(s->j, "what", what);
    vp_json_string(s->j, "result", verb);
    if (result < 0)
        vp_json_string(s->j, "error", strerror(-result));
    vp_json_object_end(s->j);
}

static int cleanup_run(int argc, char **argv)
{
    struct cleanup_opts o = {0};
    struct vp_err err = {0};
    struct vp_optset sets[] = {{cleanup_opt_table, &o}};
    struct sweep_state s = {.o = &o};
    char *pos[1];
    int npos;
    vp_doc_init(&s.doc, VP_DOC_ROUNDS, argc, argv);
    if (vp_opt_defaults(cleanup_opt_table, &o, &err) < 0 ||
        vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err) < 0)
        return vp_doc_fail(&s.doc, o.json, &err);

    /* one replay at a time: two would act on the same lines */
    bool made;
    int lock = vp_journal_lock(LOCK_WAIT_MS, &made, &err);
    if (lock < 0)
        return vp_doc_fail(&s.doc, o.json, &err);
    if (o.json) { /* what it did is the summary: no rounds */
        s.j = vp_doc_start(&s.doc, stdout, false);
        char dir[400];
        vp_journal_dir(dir, sizeof dir);
        vp_json_string(s.j, "directory", dir);
        vp_json_bool(s.j, "dry_run", o.dry_run);
        s.j = vp_doc_end(&s.doc);
        vp_json_array_begin(s.j, "journals");
    }
    struct vp_sweep_fn fn = {on_journal, on_entry, &s, on_refused};
    int rc = vp_journal_sweep(o.dry_run, &fn, &err);
    if (o.json) {
        if (s.in_journal) {
            vp_json_array_end(s.j);
            vp_json_object_end(s.j);
        }
        vp_json_array_end(s.j);
        vp_json_array_begin(s.j, "orphans");
    }
    /* then the cgroups of runs whose journal was never written or is lost */
    s.orphans = true;
    struct vp_err cg_err = {0};
    int cg_rc = vp_cgroup_sweep(o.dry_run, &fn, rc < 0 ? &cg_err : &err);
    rc = rc < 0 ? rc : cg_rc;
    if (o.json) {
        vp_json_array_end(s.j);
        vp_json_int(s.j, "removed", s.removed);
        vp_json_int(s.j, "already_gone", s.gone);
        vp_json_int(s.j, "failed", s.failed);
        vp_json_int(s.j, "refused", s.refused);
        vp_doc_close(&s.doc, rc < 0 ? err.msg : NULL);
    } else if (s.removed + s.failed + s.refused == 0) {
        printf("nothing to clean up\n");
    }
    vp_journal_unlock(lock, !o.dry_run || made);
    if (rc < 0)
        return vp_doc_fail(&s.doc, o.json, &err);
    return s.failed ? VP_EXIT_FAILED : VP_EXIT_OK;
}

static void cleanup_help(FILE *out)
{
    fputs("Every namespace holder, cgroup, interface, scratch directory, address lease and\n"
          "process a run creates is journaled first in $VIRTPERF_RUNDIR (default\n"
          "/run/virtperf), in <run id>.journal. For each journal whose process is gone,\n"
          "remove what it lists, newest first (its processes were killed already, by the\n"
          "run's watcher, when it died). Then remove the cgroups (virtperf/<run id> in each\n"
          "hierarchy) of runs that are gone and left no journal. Running it twice is\n"
          "harmless.\n\n"
          "A journal line is refused, never acted on, when it is torn or fails its\n"
          "checksum, or names what the run did not make: a path outside its cgroups\n"
          "(virtperf/<run>) and scratch folders (virtperf-<run>-<tag>.XXXXXX), an interface\n"
          "not named vp<run>..., another run's lease, or a process older than the run;\n"
          "each says why on one line, and its journal is kept (a journal not named after\n"
          "its run id is refused whole). The journal folder must be ours (owner, not a link, "
          "writable by no\n"
          "one else), else exit 2. One cleanup at a time: a second waits 2 s, then\n"
          "says the folder is busy.\n"
          "Exit status: 0 done, 1 something failed or was refused (a torn last line\n"
          "alone is harmless), 2 bad options or journal folder.\n\noptions:\n",
          out);
    vp_opt_print_help(out, cleanup_opt_table);
}

const struct vp_command vp_cmd_cleanup = {
    .name = "cleanup",
    .run = cleanup_run,
    .summary = "remove the namespaces, cgroups, interfaces and files killed runs left",
    .usage = "virtperf cleanup [--dry-run] [--json]",
    .help = cleanup_help,
};
