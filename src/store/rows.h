/* Writing a module's rows into its own tables of the results store: the
 * few steps every such writer takes (prepare, step, a histogram's buckets,
 * the time of the run, one transaction per run), done one way. */
#ifndef VP_STORE_ROWS_H
#define VP_STORE_ROWS_H

#include <stddef.h>

#include "core/error.h"
#include "rtp/hist.h"

struct vp_db;
struct vp_stmt;

int vp_rows_prepare(struct vp_db *db, const char *sql, struct vp_stmt **s, struct vp_err *err);
/* Run s once and reset it (its bindings stay). */
int vp_rows_step(struct vp_db *db, struct vp_stmt *s, struct vp_err *err);

/* One row per non-empty bucket of h: columns col, col + 1, col + 2 get the
 * bucket's lo_ns, hi_ns and count; the caller binds the columns before
 * col once. */
int vp_rows_hist(struct vp_db *db, struct vp_stmt *s, int col, const struct vp_hist *h,
                 struct vp_err *err);

/* Now, as the store keeps it: "2026-12-06T04:55:39Z". */
void vp_rows_now(char *buf, size_t len);

/* fill(db, ctx, err) inside one transaction: committed when it returns 0,
 * rolled back otherwise. */
int vp_rows_transaction(struct vp_db *db, int (*fill)(struct vp_db *, void *, struct vp_err *),
                        void *ctx, struct vp_err *err);

#endif
