#include "store/query.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

static char *dup_col(struct vp_stmt *q, int col)
{
    const char *t = vp_db_column_text(q, col);
    return t ? strdup((const char *)t) : NULL;
}

#define RUN_COLUMNS                                                                                \
    "id, kind, subject, command, params, host, version, status, error, started_at, finished_at,"   \
    " rounds_planned, warmup_planned, (SELECT count(*) FROM rounds r WHERE r.run_id = runs.id),"   \
    " run_token, platform"

static void read_run_row(struct vp_stmt *q, struct vp_run_data *run)
{
    memset(run, 0, sizeof *run);
    run->id = vp_db_column_int64(q, 0);
    run->kind = dup_col(q, 1);
    run->subject = dup_col(q, 2);
    run->command = dup_col(q, 3);
    run->params = dup_col(q, 4);
    run->host = dup_col(q, 5);
    run->version = dup_col(q, 6);
    run->status = dup_col(q, 7);
    run->error = dup_col(q, 8);
    run->started_at = dup_col(q, 9);
    run->finished_at = dup_col(q, 10);
    run->rounds_planned = vp_db_column_int(q, 11);
    run->warmup_planned = vp_db_column_int(q, 12);
    run->nrounds = vp_db_column_int(q, 13);
    run->run_token = dup_col(q, 14);
    run->platform = dup_col(q, 15);
}

static int load_metric_defs(struct vp_store *st, struct vp_run_data *run, struct vp_err *err)
{
    struct vp_stmt *q;
    if (vp_db_prepare(vp_store_db(st),
                      "SELECT name, unit, average, higher_is_better FROM metric_defs"
                      " WHERE run_id = ? ORDER BY position",
                      &q) != 0)
        return vp_store_sql_error(st, err, "reading metrics");
    vp_db_bind_int64(q, 1, run->id);
    while (vp_db_step(q) == VP_DB_ROW && run->nmetrics < VP_STORE_MAX_METRICS) {
        struct vp_metric_row *m = &run->metrics[run->nmetrics++];
        snprintf(m->name, sizeof m->name, "%s", vp_db_column_text(q, 0));
        snprintf(m->unit, sizeof m->unit, "%s", vp_db_column_text(q, 1));
        m->harmonic = strcmp(vp_db_column_text(q, 2), "harmonic") == 0;
        m->higher_is_better = vp_db_column_int(q, 3) != 0;
    }
    vp_db_finalize(q);
    return 0;
}

static int metric_index(const struct vp_run_data *run, const char *name)
{
    for (int i = 0; i < run->nmetrics; i++)
        if (strcmp(run->metrics[i].name, name) == 0)
            return i;
    return -1;
}

/* External elapsed of the rounds that were marked to a time server. */
static int load_timing(struct vp_store *st, struct vp_run_data *run, struct vp_err *err)
{
    struct vp_stmt *q;
    if (vp_db_prepare(vp_store_db(st),
                      "SELECT round, external_s, ratio, clock_distorted FROM timing_rounds"
                      " WHERE run_id = ?",
                      &q) != 0)
        return vp_store_sql_error(st, err, "reading timing");
    vp_db_bind_int64(q, 1, run->id);
    while (vp_db_step(q) == VP_DB_ROW) {
        int round = vp_db_column_int(q, 0);
        for (int i = 0; i < run->nrounds; i++) {
            struct vp_round_row *r = &run->rounds[i];
            if (r->round == round) {
                r->external_s = vp_db_column_double(q, 1);
                r->ratio = vp_db_column_double(q, 2);
                r->clock_distorted = vp_db_column_int(q, 3) != 0;
            }
        }
    }
    vp_db_finalize(q);
    return 0;
}

static int load_rounds(struct vp_store *st, struct vp_run_data *run, struct vp_err *err)
{
    struct vp_stmt *q;
    run->rounds = calloc((size_t)run->nrounds + 1, sizeof *run->rounds);
    if (run->rounds == NULL)
        return vp_run_error(err, ENOMEM, "store");
    if (vp_db_prepare(vp_store_db(st),
                      "SELECT round, warmup, elapsed_s FROM rounds WHERE run_id = ?"
                      " ORDER BY round",
                      &q) != 0)
        return vp_store_sql_error(st, err, "reading rounds");
    vp_db_bind_int64(q, 1, run->id);
    int n = 0;
    while (n < run->nrounds && vp_db_step(q) == VP_DB_ROW) {
        struct vp_round_row *r = &run->rounds[n++];
        r->round = vp_db_column_int(q, 0);
        r->warmup = vp_db_column_int(q, 1) != 0;
        r->elapsed_s = vp_db_column_double(q, 2);
        for (int i = 0; i < VP_STORE_MAX_METRICS; i++)
            r->values[i] = NAN;
        r->external_s = r->ratio = NAN;
    }
    vp_db_finalize(q);
    run->nrounds = n;

    if (vp_db_prepare(vp_store_db(st), "SELECT round, name, value FROM metrics WHERE run_id = ?",
                      &q) != 0)
        return vp_store_sql_error(st, err, "reading metrics");
    vp_db_bind_int64(q, 1, run->id);
    while (vp_db_step(q) == VP_DB_ROW) {
        int round = vp_db_column_int(q, 0);
        int m = metric_index(run, vp_db_column_text(q, 1));
        if (m < 0 || vp_db_column_is_null(q, 2))
            continue;
        for (int i = 0; i < run->nrounds; i++)
            if (run->rounds[i].round == round)
                run->rounds[i].values[m] = vp_db_column_double(q, 2);
    }
    vp_db_finalize(q);
    return load_timing(st, run, err);
}

int vp_store_load_run(struct vp_store *st, int64_t id, struct vp_run_data *run, struct vp_err *err)
{
    struct vp_stmt *q;
    memset(run, 0, sizeof *run);
    if (vp_db_prepare(vp_store_db(st), "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?", &q) != 0)
        return vp_store_sql_error(st, err, "reading a run");
    vp_db_bind_int64(q, 1, id);
    int step = vp_db_step(q);
    if (step == VP_DB_ROW)
        read_run_row(q, run);
    vp_db_finalize(q);
    if (step != VP_DB_ROW)
        return vp_input_error(err, "no run %lld in %s", (long long)id, vp_store_name(st));
    int rc = load_metric_defs(st, run, err);
    if (rc == 0)
        rc = load_rounds(st, run, err);
    if (rc < 0)
        vp_run_data_free(run);
    return rc;
}

int vp_store_list_runs(struct vp_store *st, int limit, struct vp_run_data **runs, int *n,
                       struct vp_err *err)
{
    struct vp_stmt *q;
    int cap = 16;
    *n = 0;
    *runs = NULL;
    if (vp_db_prepare(vp_store_db(st), "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?",
                      &q) != 0)
        return vp_store_sql_error(st, err, "listing runs");
    vp_db_bind_int(q, 1, limit > 0 ? limit : -1);
    struct vp_run_data *list = malloc((size_t)cap * sizeof *list);
    while (list && vp_db_step(q) == VP_DB_ROW) {
        if (*n == cap) {
            struct vp_run_data *bigger = realloc(list, (size_t)(cap *= 2) * sizeof *list);
            if (bigger == NULL)
                break;
            list = bigger;
        }
        read_run_row(q, &list[(*n)++]);
    }
    vp_db_finalize(q);
    if (list == NULL)
        return vp_run_error(err, ENOMEM, "store");
    *runs = list;
    return 0;
}

void vp_run_data_free(struct vp_run_data *run)
{
    free(run->kind);
    free(run->subject);
    free(run->command);
    free(run->params);
    free(run->host);
    free(run->version);
    free(run->status);
    free(run->error);
    free(run->started_at);
    free(run->finished_at);
    free(run->run_token);
    free(run->platform);
    free(run->rounds);
    memset(run, 0, sizeof *run);
}

void vp_run_list_free(struct vp_run_data *runs, int n)
{
    for (int i = 0; i < n; i++)
        vp_run_data_free(&runs[i]);
    free(runs);
}
