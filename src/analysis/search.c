#include "analysis/search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/units.h"

/* A trial, once more when rejected. */
static int try_rate(vp_trial_fn trial, void *ctx, int repeat, double rate,
                    struct vp_search_result *res, enum vp_verdict *v, struct vp_err *err)
{
    int rc;
    for (int attempt = 0; attempt < 2; attempt++) {
        res->trials++;
        if ((rc = trial(ctx, repeat, rate, v, err)) < 0)
            return rc;
        if (*v != VP_TRIAL_REJECTED)
            return 0;
    }
    res->generator_limited = true;
    return 0;
}

static int search_once(const struct vp_search_cfg *cfg, vp_trial_fn trial, void *ctx, int repeat,
                       struct vp_search_result *res, double *best, struct vp_err *err)
{
    double lo = 0, hi = 0, rate = cfg->start;
    enum vp_verdict v;
    int rc;
    for (;;) {
        if ((rc = try_rate(trial, ctx, repeat, rate, res, &v, err)) < 0)
            return rc;
        if (v != VP_TRIAL_PASS) {
            hi = rate;
            break;
        }
        lo = rate;
        if (rate >= cfg->max)
            break;
        rate = rate * 2 < cfg->max ? rate * 2 : cfg->max;
    }
    while (hi > 0 && hi - lo > cfg->precision * (lo > cfg->floor ? lo : cfg->floor)) {
        double mid = (lo + hi) / 2;
        if ((rc = try_rate(trial, ctx, repeat, mid, res, &v, err)) < 0)
            return rc;
        if (v == VP_TRIAL_PASS)
            lo = mid;
        else
            hi = mid;
    }
    *best = lo;
    return 0;
}

int vp_search_run(const struct vp_search_cfg *cfg, vp_trial_fn trial, void *ctx,
                  struct vp_search_result *res, struct vp_err *err)
{
    memset(res, 0, sizeof *res);
    if (cfg->repeats < 1 || cfg->repeats > VP_SEARCH_MAX_REPEATS)
        return vp_input_error(err, "repeats: %d is not 1..%d", cfg->repeats, VP_SEARCH_MAX_REPEATS);
    if (!(cfg->start > 0) || cfg->start > cfg->max)
        return vp_input_error(err, "search: start %g is not in 0 < start <= max %g", cfg->start,
                              cfg->max);
    int rc = 0;
    for (; res->n < cfg->repeats; res->n++)
        if ((rc = search_once(cfg, trial, ctx, res->n, res, &res->best[res->n], err)) < 0)
            break;
    if (res->n > 0)
        vp_summarize(res->best, res->n, false, &res->rate);
    return rc;
}

void vp_search_print(FILE *out, const struct vp_summary *m, const double *best, int n,
                     const char *unit)
{
    char mean[32], ci[80];
    fprintf(out, "max %s %s", vp_format_figure(mean, sizeof mean, "%.1f", m->n ? m->mean : NAN),
            unit);
    if (m->n > 1 && vp_ci_shown(m)) {
        fprintf(out, " (95%% CI %s, %d searches)", vp_format_ci_range(ci, sizeof ci, "%.1f", m),
                m->n);
    } else if (m->n > 1) { /* an interval reaching below zero means nothing: the searches */
        fprintf(out, " (%d searches:", m->n);
        for (int i = 0; i < n; i++)
            fprintf(out, "%s %.1f", i ? "," : "", best[i]);
        fprintf(out, "; 95%% CI %s)", VP_CI_TOO_FEW);
    } else if (m->n == 1) {
        fprintf(out, " (1 search)");
    }
}
