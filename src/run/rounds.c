#include "run/rounds.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/progress.h"
#include "core/signals.h"

static int one_round(const struct vp_workload *w, void *state, const struct vp_rounds_cfg *cfg,
                     int index, const struct vp_round_sink *sink, struct vp_err *err)
{
    bool warmup = index < cfg->warmup;
    const struct vp_round_observer *obs = cfg->observer;
    struct vp_round_ctx ctx = {.round = index,
                               .inject_fault = cfg->inject_fault && index == cfg->warmup,
                               .elapsed_s = NAN};
    int rc;
    for (int i = 0; i < VP_MAX_METRICS; i++)
        ctx.metrics[i] = NAN;

    if (w->before_round && (rc = w->before_round(state, &ctx, err)) < 0)
        return rc;
    if (obs && obs->start && (rc = obs->start(obs->arg, index, warmup, err)) < 0)
        return rc;
    uint64_t t0 = vp_now_ns();
    rc = w->round(state, &ctx, err);
    double elapsed = (double)(vp_now_ns() - t0) / 1e9;
    if (rc < 0)
        return rc;
    if (!isnan(ctx.elapsed_s))
        elapsed = ctx.elapsed_s;
    if (obs && obs->end && (rc = obs->end(obs->arg, index, warmup, elapsed, err)) < 0)
        return rc;
    if ((rc = w->verify(state, &ctx, err)) < 0) {
        vp_err_prefix(err, "%s: verification failed in %s round %d", w->name,
                      warmup ? "warm-up" : "measured",
                      warmup ? index + 1 : index - cfg->warmup + 1);
        return rc;
    }
    return sink ? sink->round_done(sink->arg, index, warmup, elapsed, ctx.metrics, err) : 0;
}

/* The live line: round and ETA, or with --until-stopped no ETA (the end is
 * not known). */
static void show_progress(const struct vp_workload *w, const struct vp_rounds_cfg *cfg, int i,
                          uint64_t started)
{
    int total = cfg->warmup + cfg->rounds;
    bool warmup = i < cfg->warmup;
    int shown = warmup ? i + 1 : i - cfg->warmup + 1;
    double spent = (double)(vp_now_ns() - started) / 1e9;
    if (cfg->until_stopped && !warmup) {
        vp_progress(cfg->progress, "%s: round %d (until stopped)  elapsed %.1fs", w->name, shown,
                    spent);
        return;
    }
    char eta[32] = "-";
    if (i > 0)
        snprintf(eta, sizeof eta, "%.0fs", spent / i * (total - i));
    vp_progress(cfg->progress, "%s: %s %d/%d  elapsed %.1fs  eta %s", w->name,
                warmup ? "warm-up" : "round", shown, warmup ? cfg->warmup : cfg->rounds, spent,
                eta);
}

int vp_rounds_run(const struct vp_workload *w, void *state, const struct vp_rounds_cfg *cfg,
                  const struct vp_round_sink *sink, struct vp_err *err)
{
    int rc = 0;
    int total = cfg->warmup + cfg->rounds;
    uint64_t started = vp_now_ns();
    for (int i = 0; i < total; i++) {
        if (cfg->progress)
            show_progress(w, cfg, i, started);
        if (vp_interrupted) {
            rc = vp_run_error(err, 0, "%s: interrupted by signal %d", w->name, (int)vp_interrupted);
            goto out;
        }
        /* a stop ends the run between rounds, never inside one */
        if (vp_stop_requested)
            break;
        if ((rc = one_round(w, state, cfg, i, sink, err)) < 0)
            goto out;
    }
out:
    vp_progress_clear(cfg->progress);
    return rc;
}
