/* virtperf serve: the local web dashboard over a results store
 * (report/serve.h), until SIGINT or SIGTERM (or --duration). */
#include <stdio.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/signals.h"
#include "report/serve.h"

struct serve_opts {
    char listen[VP_STR_MAX];
    char store[VP_STR_MAX];
    uint64_t duration;
};

static const struct vp_opt serve_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct serve_opts, listen), "127.0.0.1:8080", 0, 0, NULL,
     "HOST:PORT to serve on (numeric; port 0: any free one). Off loopback, every request "
     "needs the token printed at start",
     false},
    {"store", VP_OPT_OUTPUT, offsetof(struct serve_opts, store), NULL, 0, 0, NULL,
     "the results store to show (default: the default store)", false},
    {"duration", VP_OPT_DURATION, offsetof(struct serve_opts, duration), "0", 0, 0, NULL,
     "serve this long; 0 until SIGINT or SIGTERM", false},
    VP_OPT_END,
};

static int serve_main(int argc, char **argv)
{
    struct serve_opts o;
    struct vp_err err = {0};
    struct vp_optset sets[] = {{serve_opt_table, &o}};
    struct vp_serve *s = NULL;
    char store[4096];
    int npos, rc;
    if ((rc = vp_opt_defaults(serve_opt_table, &o, &err)) < 0 ||
        (rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, NULL, 0, &npos, &err)) < 0)
        return vp_err_report(&err);
    if (o.store[0])
        snprintf(store, sizeof store, "%s", o.store);
    else
        vp_store_default_path(store, sizeof store);
    struct vp_serve_cfg cfg = {.listen = o.listen, .store = store};
    if ((rc = vp_serve_start(&cfg, &s, &err)) < 0)
        return vp_err_report(&err);
    if (vp_serve_token(s)[0])
        printf("serving %s?token=%s (store %s; every request needs the token)\n", vp_serve_url(s),
               vp_serve_token(s), store);
    else
        printf("serving %s (store %s)\n", vp_serve_url(s), store);
    fflush(stdout);
    uint64_t end = o.duration ? vp_now_ns() + o.duration : 0;
    while (!vp_interrupted && (end == 0 || vp_now_ns() < end))
        usleep(100000);
    vp_serve_stop(s);
    return VP_EXIT_OK;
}

static void serve_help(FILE *f)
{
    fputs("A dashboard in the browser: the store's experiments and runs, and the running\n"
          "experiment live (point i of N, its ETA, the profiler's samples of each\n"
          "appliance), streamed as Server-Sent Events at /events; JSON at /api/experiments\n"
          "and /api/runs. It only reads: nothing it serves can start, change or delete work.\n"
          "\nOptions:\n",
          f);
    vp_opt_print_help(f, serve_opt_table);
}

const struct vp_command vp_cmd_serve = {
    .name = "serve",
    .run = serve_main,
    .summary = "a local web dashboard over the results store, live while experiments run",
    .usage = "virtperf serve [--listen HOST:PORT] [--store FILE] [--duration T]",
    .help = serve_help,
};
