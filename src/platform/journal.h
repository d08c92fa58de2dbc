/* The state journal: every resource a run creates (process, network
 * namespace holder, cgroup, host link, scratch directory, file, address
 * lease) is appended to /run/virtperf/<run id>.journal (see vp_journal_dir
 * for other users and $VIRTPERF_RUNDIR) BEFORE it is created and marked
 * removed after. Destroy paths undo entries through it; vp_journal_close()
 * undoes whatever is still live in reverse order and deletes the file;
 * `virtperf cleanup` replays the journals of processes that are gone.
 *
 * There is one journal per process, opened on demand and reference counted
 * (so a scratch directory joins the run's journal when one is open); an
 * atexit handler closes it if the process exits with it still open. Each
 * journal is a run with an id of its own (never a pid): eight characters,
 * a letter then letters and digits, unique among the journals in the
 * folder, and every name the run gives (cgroups virtperf/<id>/..., links
 * vp<id>..., scratch folders virtperf-<id>-..., VM names vp-<id>-...)
 * carries it. The file is written only once the first resource is added;
 * with the first process, namespace or cgroup a watcher starts beside the
 * run (journal_watch.c), which stops those when the run dies without
 * closing its journal (SIGKILL). Each line is "<crc32 of text, 8 hex
 * digits> <text>\n"; a "+" line is on disk (fdatasync, and the folder's
 * fsync for a new file) before the resource is made. Texts:
 *   virtperf-journal 3 <run id> <pid> <starttime> <pid namespace inode>
 *   + <id> <kind> <what>      (paths absolute, the folder's symlinks resolved)
 *   - <id>
 * (Journals of version 2, from before run ids, name the run by its pid:
 * "virtperf-journal 2 <pid> <starttime> <pidns>"; they are still replayed.)
 * A replay acts on no line that is torn, fails its checksum, or names what
 * virtperf does not make (resources.h: vp_res_guard); the folder must be
 * ours (vp_journal_dir_check), and replays hold its lock. */
#ifndef VP_PLATFORM_JOURNAL_H
#define VP_PLATFORM_JOURNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/error.h"
#include "platform/resources.h"

struct vp_journal;

/* Open (or share) this process's journal. */
int vp_journal_open(struct vp_journal **out, struct vp_err *err);
/* Drop one reference; the last one undoes live entries and removes the file. */
void vp_journal_close(struct vp_journal *j);
/* The journal open in this process, or NULL. */
struct vp_journal *vp_journal_current(void);

/* The run's id, used in resource names. */
const char *vp_journal_run(const struct vp_journal *j);
#define VP_RUN_ID_LEN 8
/* Whether s is a run id as vp_journal_open makes them (a letter, then
 * VP_RUN_ID_LEN - 1 letters or digits, lower case). */
bool vp_journal_id_valid(const char *s);
/* Whether the run a name (a run id, or a pid for runs from before ids)
 * names may still be in use, so its resources must be left alone: a journal
 * of it is still there (in this or the default journal folder: its owner
 * lives, or its replay owns them); for an id, its watcher lives (a run of
 * another journal folder); for a pid, its owner is alive; or that cannot be
 * told (neither an id nor a pid, or a pid while this process is not in the
 * initial pid namespace). */
bool vp_journal_run_in_use(const char *run);
/* The run's network block (platform/net.h), -1 until one is claimed. */
int vp_journal_block(const struct vp_journal *j);
void vp_journal_set_block(struct vp_journal *j, int block);
/* Per-run appliance numbers (link names, addresses): the smallest free
 * one in 0..VP_JOURNAL_SLOTS-1, or -ENOSPC; given back on destroy. */
#define VP_JOURNAL_SLOTS 253
int vp_journal_slot_take(struct vp_journal *j);
void vp_journal_slot_give(struct vp_journal *j, int slot);

/* Record a resource about to be created; returns its id (>= 0) or -errno. */
int vp_journal_add(struct vp_journal *j, enum vp_res kind, const char *what, struct vp_err *err);
/* The resource is gone (removed by its owner, or never created). */
void vp_journal_done(struct vp_journal *j, int id);
/* Remove the resource now and mark it done; 0 or -errno (still marked done
 * when it was already gone). */
int vp_journal_undo(struct vp_journal *j, int id);
/* Mark done the live entry of that kind and text; whether there was one
 * (for vp_rmtree). */
bool vp_journal_forget(struct vp_journal *j, enum vp_res kind, const char *what);

/* A pid's start time (field 22 of /proc/PID/stat), 0 when it is gone. */
unsigned long long vp_proc_starttime(pid_t pid);

/* Journals whose owner is gone: for each, every live entry in reverse order
 * is reported to fn (result as vp_res_remove's) after its removal; a line
 * refused is reported to refused (line 0: the whole file; what: NULL when
 * the line could not be read; failure: false for a torn last line, which is
 * harmless). A journal with a failure is kept. */
struct vp_sweep_fn {
    void (*journal)(void *arg, const char *file, long pid, bool in_use);
    void (*entry)(void *arg, enum vp_res kind, const char *what, int result);
    void *arg;
    void (*refused)(void *arg, const char *file, int line, const char *what, const char *reason,
                    bool failure);
};
int vp_journal_sweep(bool dry_run, const struct vp_sweep_fn *fn, struct vp_err *err);

/* One journal's text read from f (path names it in reports), replayed as
 * vp_journal_sweep does: the header, then, unless its owner lives, each
 * live entry in reverse order through its guard and its remover (as if, for
 * a dry run; not at all for guard only: entry() gets 0, for the fuzz
 * target). 1 when nothing of it stays (the file may go), 0 when something
 * does, or -errno. */
enum vp_replay_mode { VP_REPLAY_REMOVE, VP_REPLAY_DRY_RUN, VP_REPLAY_GUARD_ONLY };
int vp_journal_replay(FILE *f, const char *path, enum vp_replay_mode mode,
                      const struct vp_sweep_fn *fn);

/* Check one raw line as read (with its '\n'): NULL and *text set to its
 * text (NUL-terminated in place), or why it is refused. */
const char *vp_journal_line_check(char *line, size_t len, char **text);

/* What the watcher does once the owner of a journal file is gone: stop
 * every live entry that is running (vp_res_stop: processes, namespace
 * holders, the tasks of cgroups), newest first, removing nothing else and
 * leaving the file for `virtperf cleanup`. Refused lines (as a replay
 * refuses them) go to fn->refused. Nothing is done while the owner lives.
 * 0, or -errno when the file cannot be read. */
int vp_journal_stop_file(const char *path, const struct vp_sweep_fn *fn);

/* The journal directory: $VIRTPERF_RUNDIR, else /run/virtperf for root,
 * else $XDG_RUNTIME_DIR/virtperf or /tmp/virtperf-<uid>. */
void vp_journal_dir(char *out, size_t len);
/* The same, made (mode 700) when it is not there yet; then checked as
 * vp_journal_dir_check does. */
int vp_journal_dir_make(char *out, size_t len, struct vp_err *err);
/* The folder, when it is there, is ours: a directory, not a symbolic link,
 * owned by this user, writable by no one else; else an input error. */
int vp_journal_dir_check(struct vp_err *err);
/* Hold the folder (made if need be; *made says so) exclusively for a
 * replay, waiting at most wait_ms for another: a descriptor, or -EBUSY
 * ("busy") / -errno. Unlock, removing the folder when asked and empty. */
int vp_journal_lock(int wait_ms, bool *made, struct vp_err *err);
/* Unlock; with remove_dir, the folder's lock files go too and the folder
 * when nothing else is left in it. */
void vp_journal_unlock(int fd, bool remove_dir);
/* Hold the folder (made if need be) shared, as a run does while it makes a
 * file there, so no replay runs meanwhile: a descriptor to close, or -errno. */
int vp_journal_lock_shared(struct vp_err *err);
/* A lock file of the folder that vp_journal_unlock(fd, true) removes
 * (taken while the folder is held shared): "<folder>/<name>". */
#define VP_JOURNAL_SUBNET_LOCK "subnet.lock"

#endif
