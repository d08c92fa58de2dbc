#include "analysis/exp_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "analysis/model.h"
#include "store/query.h"
#include "store/store.h"

/* The external elapsed time of a round from timing_rounds, or NaN (also
 * when the store has no such table). */
static double external_s(struct vp_store *st, int64_t run_id, int round)
{
    struct vp_stmt *q;
    double v = NAN;
    if (vp_db_prepare(vp_store_db(st),
                      "SELECT external_s FROM timing_rounds WHERE run_id = ? AND round = ?",
                      &q) != 0)
        return NAN;
    vp_db_bind_int64(q, 1, run_id);
    vp_db_bind_int(q, 2, round);
    if (vp_db_step(q) == VP_DB_ROW && !vp_db_column_is_null(q, 0))
        v = vp_db_column_double(q, 0);
    vp_db_finalize(q);
    return v;
}

int vp_point_stats(struct vp_store *st, const struct vp_exp_point_row *p, struct vp_point_stats *ps,
                   struct vp_err *err)
{
    double *all = NULL, *rate = calloc((size_t)p->nruns + 1, sizeof *rate);
    int nall = 0, rc = 0;
    memset(ps, 0, sizeof *ps);
    ps->jain = NAN;
    if (rate == NULL)
        return vp_run_error(err, ENOMEM, "statistics");
    for (int i = 0; i < p->nruns; i++) {
        struct vp_run_data run;
        if (p->run_id[i] <= 0)
            continue;
        if ((rc = vp_store_load_run(st, p->run_id[i], &run, err)) < 0)
            break;
        double sum = 0;
        int n = 0;
        void *more = realloc(all, (size_t)(nall + run.nrounds + 1) * sizeof *all);
        if (more == NULL) {
            vp_run_data_free(&run);
            rc = vp_run_error(err, ENOMEM, "statistics");
            break;
        }
        all = more;
        for (int k = 0; k < run.nrounds; k++) {
            if (run.rounds[k].warmup)
                continue;
            double e = external_s(st, run.id, run.rounds[k].round);
            if (isfinite(e))
                ps->external++;
            else
                e = run.rounds[k].elapsed_s;
            all[nall++] = e;
            sum += e;
            n++;
        }
        if (n > 0 && sum > 0)
            rate[ps->appliances++] = n / sum;
        vp_run_data_free(&run);
    }
    if (rc == 0 && nall > 0) {
        vp_summarize(all, nall, false, &ps->elapsed);
        ps->jain = vp_jain_index(rate, ps->appliances);
    }
    free(all);
    free(rate);
    return rc;
}

double vp_point_other_work(struct vp_store *st, int64_t exp_id, int point, struct vp_err *err)
{
    /* per-core busy fractions and per-target usage in cores, each series
     * averaged over the profile; threads ("name/tid") and host rows are
     * not targets */
    static const char sql[] =
        "WITH prof AS (SELECT profile_id AS id FROM experiment_points"
        "  WHERE experiment_id = ?1 AND point = ?2),"
        " host AS (SELECT avg(value) AS v FROM profile_samples, prof WHERE profile_id = prof.id"
        "  AND target LIKE 'host/cpu%' AND metric IN ('cpu.user', 'cpu.nice', 'cpu.system')"
        "  GROUP BY target, metric),"
        " ours AS (SELECT avg(value) AS v FROM profile_samples, prof WHERE profile_id = prof.id"
        "  AND target NOT LIKE '%/%' AND metric = 'cpu.total' GROUP BY target)"
        " SELECT (SELECT sum(v) FROM host) - coalesce((SELECT sum(v) FROM ours), 0)";
    struct vp_stmt *q;
    double other = NAN;
    if (vp_store_prepare(st, sql, &q, err) < 0)
        return NAN;
    vp_db_bind_int64(q, 1, exp_id);
    vp_db_bind_int(q, 2, point);
    int rc = vp_db_step(q);
    if (rc == VP_DB_ROW && !vp_db_column_is_null(q, 0))
        other = vp_db_column_double(q, 0);
    else if (rc != VP_DB_ROW)
        vp_store_sql_error(st, err, "other work");
    vp_db_finalize(q);
    return other;
}
