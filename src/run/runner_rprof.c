/* A point's appliances on other hosts, profiled there (issue 17): on each
 * host the point's appliances use, `virtperf profile --tag NAME=TAG ...
 * --parent ID` through that host's agent, sampling the processes under the
 * agents of each appliance's sessions (their tag: platform.h) into the
 * store, as a profile under the point's own — so the report shows them
 * beside the appliances profiled here. The samples are written there, so
 * the store must be one that host reaches; with a file store such
 * appliances are not profiled, which the run says once per point. */
#include <stdio.h>
#include <string.h>

#include "profiler/profiler.h"
#include "run/remote_hosts.h"
#include "run/runner_priv.h"
#include "store/db.h"

#define ARGS_MAX (16 + 2 * VP_EXP_MAX_INSTANCES)

/* The profiler's command line for the remote appliances of host. */
static int argv_for(struct runner *r, const struct vp_point *pt, const char *host, char *words,
                    size_t len, char **argv)
{
    int n = 0;
    size_t used = 0;
#define WORD(...)                                                                                  \
    do {                                                                                           \
        argv[n++] = words + used;                                                                  \
        used += (size_t)snprintf(words + used, used < len ? len - used : 0, __VA_ARGS__) + 1;      \
    } while (0)
    WORD("/proc/self/exe");
    WORD("profile");
    WORD("--no-cores");
    WORD("--interval");
    WORD("%lluns", (unsigned long long)pt->s.profile_interval);
    WORD("--store");
    WORD("%s", vp_store_path(r->cfg->st));
    WORD("--parent");
    WORD("%lld", (long long)vp_profiler_id(r->prof));
    int targets = 0;
    for (int i = 0; i < r->nslots && n + 2 < ARGS_MAX; i++) {
        const struct slot *s = &r->slots[i];
        char tag[VP_STR_MAX];
        if (s->in == NULL || !vp_exp_remote(&s->in->f) || strcmp(s->in->f.host, host) != 0)
            continue;
        vp_host_agent_tag(s->name, tag, sizeof tag);
        WORD("--tag");
        WORD("%s=%s", s->name, tag);
        targets++;
    }
#undef WORD
    argv[n] = NULL;
    return used <= len ? targets : -1;
}

int vp_runner_rprof_start(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    r->nrprof = 0;
    if (r->prof == NULL || vp_profiler_id(r->prof) <= 0)
        return 0;
    for (int i = 0; i < r->nslots; i++) {
        const struct slot *s = &r->slots[i];
        if (s->in == NULL || !vp_exp_remote(&s->in->f))
            continue;
        bool started = false;
        for (int k = 0; k < i && !started; k++)
            started = r->slots[k].in && strcmp(r->slots[k].in->f.host, s->in->f.host) == 0;
        if (started)
            continue;
        if (!vp_db_is_url(vp_store_path(r->cfg->st))) {
            fprintf(stderr,
                    "virtperf: point %d: appliances on other hosts are not profiled: their "
                    "samples need a store those hosts reach (--store postgresql://...)\n",
                    pt->index + 1);
            return 0;
        }
        char words[8192], *argv[ARGS_MAX + 1], name[64];
        if (argv_for(r, pt, s->in->f.host, words, sizeof words, argv) < 0)
            return vp_run_error(err, 0, "profile on host %s: command line too long", s->in->f.host);
        snprintf(name, sizeof name, "profile.%d", r->nrprof);
        int rc = vp_remote_process_start(vp_runner_ops(r->cfg, "host"), r->journal, s->in->f.host,
                                         name, argv, NULL, &r->rprof[r->nrprof], err);
        if (rc < 0)
            return rc;
        r->nrprof++;
    }
    return 0;
}

void vp_runner_rprof_stop(struct runner *r)
{
    for (int i = 0; i < r->nrprof; i++)
        vp_remote_process_stop(&r->rprof[i]);
    r->nrprof = 0;
}
