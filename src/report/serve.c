/* The dashboard's HTTP side: see serve.h. libmicrohttpd, a thread per
 * connection (an event stream sleeps between its events); each request
 * opens the store on its own, read-only in effect (only SELECTs run). */
#include "report/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "report/dashboard.h"
#include "report/html.h"
#include "report/live.h"
#include "report/page.h"
#include "rtp/addr.h"
#include "store/query.h"

#define EVENT_PERIOD_US 1000000
#define SAMPLE_TICKS    600 /* profiler instants per event at most */
#define LIST_LIMIT      50

struct vp_serve {
    struct MHD_Daemon *mhd;
    char store[4096];
    char url[96];
    char token[33]; /* 32 hex digits, or "" on loopback */
    atomic_bool stopping;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    char *body = strdup(text);
    return body ? reply(c, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

/* A JSON document written by fill into a memory buffer, then sent. */
static enum MHD_Result reply_json(struct vp_serve *s, struct MHD_Connection *c,
                                  int (*fill)(struct vp_store *, struct vp_json *, struct vp_err *))
{
    struct vp_store *st = NULL;
    struct vp_err err = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return MHD_NO;
    struct vp_json j;
    vp_json_init(&j, f);
    vp_json_object_begin(&j, NULL);
    int rc = vp_store_open(s->store, &st, &err);
    if (rc == 0)
        rc = fill(st, &j, &err);
    if (rc < 0)
        vp_json_string(&j, "error", err.msg);
    vp_json_object_end(&j);
    vp_json_finish(&j);
    vp_store_close(st);
    if (fclose(f) != 0) {
        free(text);
        return MHD_NO;
    }
    return reply(c, rc < 0 ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_OK, "application/json", text,
                 len);
}

static int fill_experiments(struct vp_store *st, struct vp_json *j, struct vp_err *err)
{
    return vp_live_experiments(st, j, "experiments", LIST_LIMIT, err);
}

static int fill_runs(struct vp_store *st, struct vp_json *j, struct vp_err *err)
{
    struct vp_run_data *runs = NULL;
    int n = 0, rc = vp_store_list_runs(st, LIST_LIMIT, &runs, &n, err);
    vp_json_array_begin(j, "runs");
    for (int i = 0; rc == 0 && i < n; i++) {
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "id", runs[i].id);
        vp_json_string(j, "kind", runs[i].kind);
        vp_json_string(j, "subject", runs[i].subject);
        vp_json_string(j, "status", runs[i].status);
        vp_json_string(j, "started_at", runs[i].started_at);
        vp_json_string(j, "finished_at", runs[i].finished_at);
        vp_json_int(j, "rounds_stored", runs[i].nrounds);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    vp_run_list_free(runs, n);
    return rc;
}

/* One event stream: its own store connection, and where its samples are. */
struct stream {
    struct vp_serve *s;
    struct vp_store *st;
    int64_t profile_id; /* of the running point followed; 0 none */
    double since;       /* its newest sample sent */
    char *buf;          /* the event being sent */
    size_t len, off;
    bool first;
};

/* The running point's profile, if an experiment is running (newest first). */
static int64_t running_profile(struct vp_store *st)
{
    struct vp_stmt *q;
    struct vp_err err = {0};
    int64_t id = 0;
    if (vp_store_prepare(st,
                         "SELECT profile_id FROM experiment_points WHERE status = 'running' "
                         "AND profile_id IS NOT NULL ORDER BY experiment_id DESC LIMIT 1",
                         &q, &err) < 0)
        return 0;
    if (vp_db_step(q) == VP_DB_ROW)
        id = vp_db_column_int64(q, 0);
    vp_db_finalize(q);
    return id;
}

/* The next event's text: "data: {experiments, profile_id, samples}\n\n". */
static int next_event(struct stream *e)
{
    struct vp_json_buf b;
    struct vp_err err = {0};
    if (vp_json_buf_open(&b) < 0)
        return -ENOMEM;
    int64_t prof = running_profile(e->st);
    if (prof != e->profile_id) { /* a new point: its samples from the start */
        e->profile_id = prof;
        e->since = -1;
    }
    vp_json_object_begin(&b.j, NULL);
    int rc = vp_live_experiments(e->st, &b.j, "experiments", LIST_LIMIT, &err);
    vp_json_int(&b.j, "profile_id", e->profile_id);
    if (rc == 0 && e->profile_id > 0)
        rc = vp_live_samples(e->st, &b.j, "samples", e->profile_id, e->since, SAMPLE_TICKS,
                             &e->since, &err);
    if (rc < 0)
        vp_json_string(&b.j, "error", err.msg);
    vp_json_object_end(&b.j);
    char *json = vp_json_buf_close(&b);
    if (json == NULL)
        return -ENOMEM;
    free(e->buf);
    e->buf = NULL;
    int n = asprintf(&e->buf, "data: %s\n\n", json);
    free(json);
    if (n < 0)
        return -ENOMEM;
    e->len = (size_t)n;
    e->off = 0;
    return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *e = cls;
    (void)pos;
    if (e->off == e->len) {
        /* one event a second; the first at once */
        for (int slept = 0; !e->first && slept < EVENT_PERIOD_US; slept += 100000) {
            if (atomic_load(&e->s->stopping))
                return MHD_CONTENT_READER_END_OF_STREAM;
            usleep(100000);
        }
        e->first = false;
        if (next_event(e) < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = e->len - e->off < max ? e->len - e->off : max;
    memcpy(out, e->buf + e->off, n);
    e->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *e = cls;
    vp_store_close(e->st);
    free(e->buf);
    free(e);
}

static enum MHD_Result events(struct vp_serve *s, struct MHD_Connection *c)
{
    struct vp_err err = {0};
    struct stream *e = calloc(1, sizeof *e);
    if (e == NULL)
        return MHD_NO;
    e->s = s;
    e->first = true;
    if (vp_store_open(s->store, &e->st, &err) < 0) {
        free(e);
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, e, stream_free);
    if (r == NULL) {
        stream_free(e);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* /report?ids=12,run:3: those experiments and runs as the report page. */
static enum MHD_Result report(struct vp_serve *s, struct MHD_Connection *c)
{
    const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ids");
    char list[1024], *ids[VP_REPORT_MAX_IDS], *save = NULL;
    int n = 0;
    snprintf(list, sizeof list, "%s", arg ? arg : "");
    for (char *t = strtok_r(list, ",", &save); t && n < VP_REPORT_MAX_IDS;
         t = strtok_r(NULL, ",", &save))
        ids[n++] = t;
    if (n == 0)
        return reply_text(c, MHD_HTTP_BAD_REQUEST, "name them: /report?ids=ID,run:ID\n");
    struct vp_store *st = NULL;
    struct vp_err err = {0};
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (f == NULL)
        return MHD_NO;
    int rc = vp_store_open(s->store, &st, &err);
    if (rc == 0)
        rc = vp_report_page(st, ids, n, NULL, f, &err);
    vp_store_close(st);
    fclose(f);
    if (rc < 0) {
        free(page);
        char msg[sizeof err.msg + 2];
        snprintf(msg, sizeof msg, "%s\n", err.msg);
        return reply_text(
            c, err.kind == VP_ERR_INPUT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
    }
    return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
}

/* ECharts, for the dashboard's live charts. */
static enum MHD_Result echarts(struct MHD_Connection *c)
{
    char *text = NULL;
    struct vp_err err = {0};
    if (vp_report_echarts(&text, &err) < 0)
        return reply_text(c, MHD_HTTP_NOT_FOUND, err.msg);
    return reply(c, MHD_HTTP_OK, "text/javascript; charset=utf-8", text, strlen(text));
}

static bool authorised(const struct vp_serve *s, struct MHD_Connection *c)
{
    if (s->token[0] == '\0')
        return true;
    const char *given = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (given == NULL && auth && strncmp(auth, "Bearer ", 7) == 0)
        given = auth + 7;
    size_t n = strlen(s->token);
    return given && strlen(given) == n && sodium_memcmp(given, s->token, n) == 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct vp_serve *s = cls;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "this server only reads (GET)\n");
    if (!authorised(s, c))
        return reply_text(c, MHD_HTTP_UNAUTHORIZED,
                          "a token is needed: ?token=T or Authorization: Bearer T\n");
    if (strcmp(url, "/") == 0) {
        char *page = strdup(vp_dashboard_html);
        return page ? reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, strlen(page))
                    : MHD_NO;
    }
    if (strcmp(url, "/api/experiments") == 0)
        return reply_json(s, c, fill_experiments);
    if (strcmp(url, "/api/runs") == 0)
        return reply_json(s, c, fill_runs);
    if (strcmp(url, "/events") == 0)
        return events(s, c);
    if (strcmp(url, "/report") == 0)
        return report(s, c);
    if (strcmp(url, "/assets/echarts.min.js") == 0)
        return echarts(c);
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int vp_serve_start(const struct vp_serve_cfg *cfg, struct vp_serve **out, struct vp_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int rc = vp_parse_hostport("--listen", cfg->listen, &ss, &sslen, err);
    if (rc < 0)
        return rc;
    if (access(cfg->store, R_OK) != 0)
        return vp_input_error(err, "--store %s: %s", cfg->store, strerror(errno));
    if (sodium_init() < 0)
        return vp_run_error(err, 0, "libsodium did not initialise");
    struct vp_serve *s = calloc(1, sizeof *s);
    if (s == NULL)
        return vp_run_error(err, ENOMEM, "serve");
    snprintf(s->store, sizeof s->store, "%s", cfg->store);
    if (!is_loopback(&ss)) {
        unsigned char raw[16];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(s->token, sizeof s->token, raw, sizeof raw);
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    s->mhd =
        MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
    if (s->mhd == NULL) {
        free(s);
        return vp_run_error(err, errno, "serve: cannot listen on %s", cfg->listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    snprintf(s->url, sizeof s->url, ss.ss_family == AF_INET ? "http://%s:%u/" : "http://[%s]:%u/",
             host, info ? (unsigned)info->port : 0u);
    *out = s;
    return 0;
}

const char *vp_serve_url(const struct vp_serve *s)
{
    return s->url;
}

const char *vp_serve_token(const struct vp_serve *s)
{
    return s->token;
}

void vp_serve_stop(struct vp_serve *s)
{
    if (s == NULL)
        return;
    atomic_store(&s->stopping, true);
    MHD_stop_daemon(s->mhd);
    free(s);
}
