/* An RTP run's loss and delay with 95% CIs by batch means: see rtp.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "analysis/load_stats.h"
#include "drivers/rtp.h"

/* The batch a run's interval i of n belongs to, of nb. */
static int batch_of(int i, int n, int nb)
{
    return (int)((int64_t)i * nb / n);
}

/* The run's intervals that had packets planned: sent and received each. */
static int read_intervals(struct vp_store *st, int64_t run, int64_t **sent, int64_t **received,
                          int *n, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              "SELECT interval, sent, received FROM rtp_intervals "
                              "WHERE run_id = ?1 AND sent > 0 ORDER BY interval",
                              &q, err);
    *n = 0;
    *sent = *received = NULL;
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, run);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        int64_t *s = realloc(*sent, (size_t)(*n + 1) * sizeof *s);
        int64_t *r = s ? realloc(*received, (size_t)(*n + 1) * sizeof *r) : NULL;
        if (s)
            *sent = s;
        if (r)
            *received = r;
        if (!s || !r) {
            vp_db_finalize(q);
            return vp_run_error(err, ENOMEM, "rtp intervals");
        }
        (*sent)[*n] = vp_db_column_int64(q, 1);
        (*received)[*n] = vp_db_column_int64(q, 2);
        (*n)++;
    }
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "rtp intervals");
}

/* Each batch's delay median and p99 (ms) from its intervals' buckets: the
 * k-th interval with packets planned (from 0) belongs to batch batch_of(k);
 * a batch whose packets were all lost has none (NaN). */
static int batch_delays(struct vp_store *st, int64_t run, int n, int nb, double *median,
                        double *p99, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              "SELECT i.k, d.lo_ns, d.hi_ns, d.count FROM rtp_delay_hist d "
                              "JOIN (SELECT interval, row_number() OVER (ORDER BY interval) - 1 "
                              "      AS k FROM rtp_intervals WHERE run_id = ?1 AND sent > 0) i "
                              "ON i.interval = d.interval "
                              "WHERE d.run_id = ?1 AND d.series = 'delay' ORDER BY d.interval",
                              &q, err);
    if (rc < 0)
        return rc;
    struct vp_hist *h = calloc((size_t)nb, sizeof *h);
    if (h == NULL) {
        vp_db_finalize(q);
        return vp_run_error(err, ENOMEM, "histograms");
    }
    for (int b = 0; b < nb; b++)
        vp_hist_init(&h[b]);
    vp_db_bind_int64(q, 1, run);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        int k = vp_db_column_int(q, 0); /* the interval's place among those with packets */
        int64_t lo = vp_db_column_int64(q, 1), hi = vp_db_column_int64(q, 2);
        int64_t count = vp_db_column_int64(q, 3);
        if (k >= 0 && k < n && lo >= 0 && hi >= lo && count > 0)
            vp_hist_add_n(&h[batch_of(k, n, nb)], (uint64_t)lo + (uint64_t)(hi - lo) / 2,
                          (uint64_t)count);
    }
    rc = rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "rtp delay buckets");
    for (int b = 0; b < nb; b++) {
        median[b] = vp_load_pct_ms(&h[b], 50);
        p99[b] = vp_load_pct_ms(&h[b], 99);
    }
    free(h);
    vp_db_finalize(q);
    return rc;
}

/* Summarise the finite values of x[0..n). */
static void summarise_finite(const double *x, int n, struct vp_summary *s)
{
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    int k = 0;
    memset(s, 0, sizeof *s);
    for (int i = 0; v && i < n; i++)
        if (isfinite(x[i]))
            v[k++] = x[i];
    if (k == 0 || vp_summarize(v, k, false, s) < 0) {
        memset(s, 0, sizeof *s);
        s->mean = s->ci_half = s->ci_lo = s->ci_hi = NAN;
    }
    free(v);
}

int vp_rtp_batches(struct vp_store *st, int64_t run, struct vp_load_rtp *r, struct vp_err *err)
{
    int64_t *sent, *received;
    int n, rc = read_intervals(st, run, &sent, &received, &n, err);
    int nb = n < VP_RTP_BATCHES ? n : VP_RTP_BATCHES;
    double *loss = calloc((size_t)(nb > 0 ? nb : 1), 3 * sizeof *loss);
    r->batches = 0;
    if (rc == 0 && loss == NULL)
        rc = vp_run_error(err, ENOMEM, "rtp batches");
    if (rc == 0 && nb >= 2) {
        double *median = loss + nb, *p99 = loss + 2 * nb;
        int64_t bs[VP_RTP_BATCHES] = {0}, br[VP_RTP_BATCHES] = {0};
        for (int i = 0; i < n; i++) {
            bs[batch_of(i, n, nb)] += sent[i];
            br[batch_of(i, n, nb)] += received[i];
        }
        for (int b = 0; b < nb; b++)
            loss[b] = 100.0 * (double)(bs[b] - br[b]) / (double)bs[b];
        if ((rc = batch_delays(st, run, n, nb, median, p99, err)) == 0) {
            r->batches = nb;
            summarise_finite(loss, nb, &r->loss_batches);
            summarise_finite(median, nb, &r->median_batches);
            summarise_finite(p99, nb, &r->p99_batches);
        }
    }
    free(loss);
    free(sent);
    free(received);
    return rc;
}
