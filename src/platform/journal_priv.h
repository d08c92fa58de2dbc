/* Shared by the journal's files: journal.c (this process's journal),
 * journal_replay.c (reading journal files: cleanup's replay, the watcher's
 * stop) and journal_watch.c (the process that outlives a killed run). */
#ifndef VP_PLATFORM_JOURNAL_PRIV_H
#define VP_PLATFORM_JOURNAL_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include "platform/journal.h"

#define VP_JOURNAL_WHAT_MAX 512

/* One "+" line: a resource, live until its "-" line. */
struct vp_jentry {
    enum vp_res kind;
    bool live;
    int id, line; /* line: in the file, for a replay's reports */
    char what[VP_JOURNAL_WHAT_MAX];
};

/* The journal folder when $VIRTPERF_RUNDIR is not set. */
void vp_journal_default_dir(char *out, size_t len);
/* The folder, flock'ed (LOCK_SH: a run making files there; LOCK_EX: a
 * replay), made if need be; a descriptor or -errno (-EBUSY after wait_ms). */
int vp_journal_dir_lock(int how, int wait_ms, bool *made, struct vp_err *err);

/* The pid namespace of pid (0: this process) as its nsfs inode; 0 if gone. */
unsigned long long vp_journal_pid_ns(pid_t pid);
/* The initial pid namespace's inode (PROC_PID_INIT_INO). */
#define VP_HOST_PIDNS 0xEFFFFFFCULL
/* Whether the process that wrote a journal may still be running: its pid,
 * start time (0: any process with that pid counts) and pid namespace (0:
 * this one). */
bool vp_journal_owner_alive(long pid, unsigned long long start, unsigned long long ns);

/* Start the watcher of a journal file (journal_watch.c): a process that,
 * once the owner (this process) is gone without closing its journal, stops
 * what the file lists as running (vp_res_stop). Returns the descriptor the
 * owner keeps (its close without a word means death), or -errno. */
int vp_journal_watch_start(const char *path, const char *run);
/* Whether the watcher of run (an id) is alive: the run or its stop is
 * under way, wherever its journal folder is. */
bool vp_journal_watcher_alive(const char *run);
/* The owner closed its journal: tell the watcher to go. */
void vp_journal_watch_stop(int fd);

#endif
