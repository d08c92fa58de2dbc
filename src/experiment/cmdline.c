/* The command lines the runner starts: a workload or a server inside an
 * appliance, a load generator on the host. Every one runs virtperf itself
 * (/proc/self/exe), so appliance and host run the same build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "drivers/driver.h"
#include "experiment/experiment.h"

/* Rounds of a workload that runs until its point's loads end. */
#define UNTIL_STOPPED_ROUNDS "100000" /* the most --rounds takes */

struct builder {
    struct vp_cmdline *cl;
    size_t used;
    bool ok; /* false once something did not fit */
};

static void start(struct builder *b, struct vp_cmdline *cl)
{
    *b = (struct builder){cl, 0, true};
    cl->argc = 0;
    cl->argv[0] = NULL;
}

static void arg(struct builder *b, const char *a)
{
    struct vp_cmdline *cl = b->cl;
    size_t len = strlen(a) + 1;
    if (!b->ok || b->used + len > sizeof cl->buf ||
        cl->argc + 1 >= (int)(sizeof cl->argv / sizeof cl->argv[0])) {
        b->ok = false;
        return;
    }
    memcpy(cl->buf + b->used, a, len);
    cl->argv[cl->argc++] = cl->buf + b->used;
    cl->argv[cl->argc] = NULL;
    b->used += len;
}

/* --name value */
static void opt(struct builder *b, const char *name, const char *value)
{
    char flag[80];
    snprintf(flag, sizeof flag, "--%s", name);
    arg(b, flag);
    arg(b, value);
}

/* The file's options for a command with option table t; paths made
 * absolute here, before they enter an appliance that runs elsewhere. */
static void opts(struct builder *b, const struct vp_opt *t, const struct vp_kv *kv, int n)
{
    for (int i = 0; i < n; i++) {
        const struct vp_opt *o = vp_opt_find(t, kv[i].key);
        char path[VP_STR_MAX];
        bool is_path = o && (o->type == VP_OPT_PATH || o->type == VP_OPT_OUTPUT);
        if (is_path && vp_path_absolute(kv[i].value, path, sizeof path) < 0)
            b->ok = false;
        opt(b, kv[i].key, is_path ? path : kv[i].value);
    }
}

static int done(struct builder *b, const char *who, struct vp_err *err)
{
    return b->ok ? 0 : vp_input_error(err, "%s: command line too long", who);
}

int vp_instance_cmdline(const struct vp_point *pt, const struct vp_instance *in, const char *store,
                        int barrier_fd, struct vp_cmdline *cl, struct vp_err *err)
{
    const struct vp_exp_app *a = &pt->apps[in->app];
    struct builder b;
    char rounds[32], warmup[32], fd[32];
    start(&b, cl);
    if (pt->kind == VP_POINT_IDLE) {
        arg(&b, "sleep");
        arg(&b, "infinity");
        return done(&b, in->name, err);
    }
    bool until_stopped = vp_point_has_load(pt);
    snprintf(rounds, sizeof rounds, "%lld", (long long)pt->s.rounds);
    snprintf(warmup, sizeof warmup, "%lld", (long long)pt->s.warmup);
    snprintf(fd, sizeof fd, "%d", barrier_fd);
    arg(&b, "/proc/self/exe");
    arg(&b, "workload");
    arg(&b, "run");
    arg(&b, a->w->name);
    if (a->f.preset == 1)
        opt(&b, "preset", "small");
    opts(&b, a->w->opts, a->opts, a->nopts);
    opt(&b, "rounds", until_stopped ? UNTIL_STOPPED_ROUNDS : rounds);
    opt(&b, "warmup", warmup);
    arg(&b, "--json");
    if (until_stopped)
        arg(&b, "--until-stopped");
    if (store && store[0])
        opt(&b, "store", store);
    if (barrier_fd > 2)
        opt(&b, "barrier-fd", fd);
    if (pt->s.timeserver[0]) {
        opt(&b, "timeserver", pt->s.timeserver);
        opt(&b, "key-file", pt->s.key_file);
        opt(&b, "appliance", in->name);
    }
    return done(&b, in->name, err);
}

int vp_server_cmdline(const struct vp_point *pt, const struct vp_instance *in, const char *listen,
                      struct vp_cmdline *cl, struct vp_err *err)
{
    const struct vp_exp_app *a = &pt->apps[in->app];
    struct builder b;
    if (a->server->command == NULL) /* an app: its own command line (runner_procs.c) */
        return vp_input_error(err, "appliance %s: an app is no virtperf server", in->name);
    start(&b, cl);
    arg(&b, "/proc/self/exe");
    arg(&b, a->server->command);
    opt(&b, "listen", listen);
    arg(&b, "--json");
    opts(&b, a->server->options.opts, a->opts, a->nopts);
    return done(&b, in->name, err);
}

int vp_load_cmdline(const struct vp_exp_load *l, const char *hostport, const char *store,
                    struct vp_cmdline *cl, struct vp_err *err)
{
    struct builder b;
    start(&b, cl);
    arg(&b, "/proc/self/exe");
    arg(&b, l->driver->command);
    if (l->driver->target_opt) /* a load with a test bed of its own has none */
        opt(&b, l->driver->target_opt, hostport);
    arg(&b, "--json");
    if (store && store[0])
        opt(&b, "store", store);
    opts(&b, l->driver->options.opts, l->opts, l->nopts);
    return done(&b, l->f.name, err);
}

/* Add the path and output options of a filled table to paths. */
static int table_paths(const struct vp_opt *opts, const void *params, struct vp_path_use *paths,
                       int n, int max)
{
    for (const struct vp_opt *o = opts; o->name && n < max; o++) {
        if (o->type != VP_OPT_PATH && o->type != VP_OPT_OUTPUT)
            continue;
        struct vp_path_use *u = &paths[n];
        vp_opt_format(o, params, u->path, sizeof u->path);
        u->writes = o->type == VP_OPT_OUTPUT;
        n += u->path[0] != '\0';
    }
    return n;
}

int vp_instance_paths(const struct vp_point *pt, const struct vp_instance *in,
                      struct vp_path_use *paths, int max)
{
    const struct vp_exp_app *a = &pt->apps[in->app];
    struct vp_opt_table t =
        a->server ? a->server->options : (struct vp_opt_table){a->w->opts, a->w->params_size};
    struct vp_err err = {0};
    int n = 0;
    if (pt->kind == VP_POINT_IDLE)
        return 0;
    if (a->server == NULL && pt->s.timeserver[0] && n < max) {
        snprintf(paths[n].path, sizeof paths[n].path, "%s", pt->s.key_file);
        paths[n++].writes = false;
    }
    /* the command's options as it will parse them (checked when the file was) */
    void *params = calloc(1, t.size);
    if (params == NULL)
        return n;
    int rc = vp_opt_defaults(t.opts, params, &err);
    if (rc == 0 && a->server == NULL && a->f.preset == 1 && a->w->small_preset)
        rc = vp_opt_apply_list(t.opts, params, a->w->small_preset, &err);
    for (int i = 0; rc == 0 && i < a->nopts; i++)
        rc = vp_opt_set(t.opts, params, a->opts[i].key, a->opts[i].value, &err);
    if (rc == 0)
        n = table_paths(t.opts, params, paths, n, max);
    free(params);
    return n;
}
