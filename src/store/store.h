/* The results store: SQLite, one file (or a PostgreSQL database: store/db.h),
 * a versioned schema with migrations.
 *
 * A run is a row in runs; each finished round is committed in its own
 * transaction with its metrics, so a killed run keeps its completed rounds.
 * A run, an experiment (with its points) or a profile left 'running' by a
 * process that no longer exists reads as 'incomplete' (when the store is
 * next opened). Everything a report shows is recomputed from these rows. */
#ifndef VP_STORE_STORE_H
#define VP_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct vp_store;

/* Where results go unless --store says otherwise: $VIRTPERF_STORE, else
 * $XDG_DATA_HOME/virtperf/results.db, else ~/.local/share/virtperf/results.db. */
void vp_store_default_path(char *buf, size_t len);

/* Open (creating the file and its directory, and migrating the schema). A
 * path that cannot be written is an input error. path may be a PostgreSQL
 * URL (postgresql:// or postgres://, libpq's form): the same schema in that
 * database, made there when it holds none. */
int vp_store_open(const char *path, struct vp_store **out, struct vp_err *err);
void vp_store_close(struct vp_store *st);
/* What opened it: a file's absolute path or a postgresql:// URL, for the
 * processes a run starts (a URL's password is better kept in ~/.pgpass or
 * $PGPASSWORD: command lines are visible to every user). */
const char *vp_store_path(const struct vp_store *st);
/* The same for people: a URL without its password. */
const char *vp_store_name(const struct vp_store *st);

/* "boot id:pid:start time@machine id": names this process across pid reuse
 * (and machines sharing a PostgreSQL store), for the owner column of rows it
 * writes while it runs. */
void vp_store_owner(char *buf, size_t len);

/* Now, as rows keep it: "2026-12-07T05:40:05.842Z". */
void vp_store_now(char *buf, size_t len);

/* The schema version this build writes. */
int vp_store_schema_version(void);

#define VP_STORE_MAX_METRICS 16

/* A metric a run reports each round besides its elapsed time. */
struct vp_metric_desc {
    const char *name;
    const char *unit;
    bool harmonic; /* rates average harmonically, times arithmetically */
    bool higher_is_better;
};

struct vp_run_info {
    const char *kind;     /* "workload" */
    const char *subject;  /* the workload's name */
    const char *command;  /* the command line, for people */
    const char *params;   /* JSON object of the parameters */
    const char *host;     /* JSON object of the host facts */
    const char *platform; /* JSON object: the VM it ran in (accel...); NULL = the host */
    int rounds, warmup;
    const struct vp_metric_desc *metrics;
    int nmetrics;
};

int vp_store_run_begin(struct vp_store *st, const struct vp_run_info *info, int64_t *run_id,
                       struct vp_err *err);

/* One finished round and its metric values (in the order of the run's
 * metrics; NaN stores NULL), in one transaction. */
int vp_store_round(struct vp_store *st, int64_t run_id, const struct vp_run_info *info, int round,
                   bool warmup, double elapsed_s, const double *values, struct vp_err *err);

/* status: "complete", "failed" or "interrupted"; error may be NULL. */
int vp_store_run_end(struct vp_store *st, int64_t run_id, const char *status, const char *error,
                     struct vp_err *err);

/* The database handle, for the read side (store/query.c) and the tables of
 * other modules. */
struct vp_db *vp_store_db(struct vp_store *st);

/* A run error "store PATH: what: <SQLite's message>". */
int vp_store_sql_error(struct vp_store *st, struct vp_err *err, const char *what);
/* Prepare sql on the store's database; a run error naming it when it fails. */
struct vp_stmt;
int vp_store_prepare(struct vp_store *st, const char *sql, struct vp_stmt **q, struct vp_err *err);

#endif
