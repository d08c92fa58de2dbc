/* The host platform (issue 17): an appliance that is another machine's own
 * processes, run there by its agent (`virtperf-guest agent --stdio`) over
 * the system's OpenSSH client (guest/ssh.h). It is what an experiment's
 * appliance with `host: DEST` and platform native is. Every process is
 * started through a local relay, as for a VM (`virtperf guest-exec --agent
 * ssh:DEST`, or a workload's rounds with `--guest-agent ssh:DEST`): the
 * runner waits for, signals and reads the relay as it would the process,
 * and a workload's rounds are stamped by this host's clock on arrival.
 *
 * Field mapping: host is the SSH destination ([user@]host or a Host of the
 * SSH configuration); the processes run as that user, in no cgroup of
 * virtperf's, so cpus, weight, cap, memory and vcpus above 1 are refused
 * (not applied there yet); usage() is what the agent there reads of its
 * sessions for this appliance (their agents carry its tag) and of what
 * runs under them; net means the host's own network: address() is the
 * address ssh connects to (`ssh -G`'s hostname, made numeric), which the
 * loads' generators are allowed to send to (net/target.h). create() greets
 * the agent (its protocol version must be this virtperf's) and keeps what
 * it said of its host; nothing is made on either host that outlives the
 * relays.
 *
 * An appliance of another platform there (host_platform: container, vm,
 * libvirt, or native with cpus, weight, cap or memory) is kept by that
 * host's agent (guest/agent_keeper.c) over a session of its own, journaled
 * there: the fields are applied and checked there, usage() is that
 * platform's, and each relay's session is one inside the appliance
 * ($VIRTPERF_AGENT_ATTACH). Closing the keeper's session removes it. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/proto.h"
#include "guest/remote.h"
#include "guest/ssh.h"
#include "platform/journal.h"
#include "platform/platform.h"
#include "platform/spawn.h"
#include "platform/relay.h"

#define MAXPROCS    64
#define ANSWER_MS   15000
#define ADDRESS_MAX 96

struct vp_appliance {
    struct vp_appliance_spec spec;
    struct vp_journal *j;
    char agent[VP_STR_MAX + 8]; /* "ssh:DEST" */
    char addr[ADDRESS_MAX];
    char *facts;
    pid_t pid[MAXPROCS];
    int proc_id[MAXPROCS];
    int nprocs;
    char tag[VP_STR_MAX];            /* its relays' agents carry it (--tag): usage() finds them */
    struct vp_remote *usage_session; /* opened at the first usage(), kept */
    struct vp_remote *keeper;        /* an appliance that host keeps: its session */
    char attach[96];                 /* and its socket there */
};

#define RELEASE_MS 60000 /* a VM there may take a while to go */

/* Whether the appliance is one the host's agent keeps (else its own
 * processes). */
static bool kept(const struct vp_appliance_spec *s)
{
    return s->host_platform[0] && (strcmp(s->host_platform, "native") != 0 || s->vcpus > 1 ||
                                   s->cpus[0] || s->weight != 256 || s->cap || s->memory);
}

static const char *host_unsupported(void)
{
    return access("/usr/bin/ssh", X_OK) == 0 ? NULL : "no OpenSSH client (/usr/bin/ssh)";
}

static int check_there(const struct vp_appliance_spec *s, struct vp_err *err);

static int host_validate(const struct vp_appliance_spec *s, struct vp_err *err)
{
    struct vp_appliance_spec here = *s; /* the CPUs are that host's: checked there */
    if (kept(s)) {
        here.cpus[0] = '\0';
        here.vcpus = here.cap = 0;
    }
    int rc = vp_appliance_spec_check(&here, err);
    if (rc == 0)
        rc = vp_appliance_spec_no_nics(s, "host", err);
    if (rc < 0)
        return rc;
    const char *d = s->host;
    if (d[0] == '\0' || d[0] == '-' || strpbrk(d, " \t\n'\"\\;") != NULL)
        return vp_input_error(err, "host \"%s\": want an SSH destination ([user@]host)", d);
    if (strcmp(s->host_platform, "host") == 0)
        return vp_input_error(err, "host_platform: another host's platform, not \"host\"");
    if (kept(s))
        return check_there(s, err); /* against that host's CPUs and platforms */
    const char *unapplied = s->vcpus > 1       ? "vcpus"
                            : s->cpus[0]       ? "cpus"
                            : s->weight != 256 ? "weight"
                            : s->cap           ? "cap"
                            : s->memory        ? "memory"
                                               : NULL;
    if (unapplied)
        return vp_input_error(err,
                              "%s: not applied on another host yet (its processes run as the SSH "
                              "user, in no cgroup of virtperf's)",
                              unapplied);
    return 0;
}

/* The address ssh connects to for DEST ("hostname" of `ssh -G`, which
 * resolves the SSH configuration's aliases). */
static int resolve(struct vp_appliance *a, struct vp_err *err)
{
    const char *config = getenv("VIRTPERF_SSH_CONFIG");
    char *argv[8];
    int n = 0, p[2];
    argv[n++] = "ssh";
    argv[n++] = "-G";
    if (config && config[0]) {
        argv[n++] = "-F";
        argv[n++] = (char *)config;
    }
    argv[n++] = "--";
    argv[n++] = a->spec.host;
    argv[n] = NULL;
    if (pipe2(p, O_CLOEXEC) < 0)
        return vp_run_error(err, errno, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (dup2(p[1], 1) < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    FILE *f = pid > 0 ? fdopen(p[0], "r") : NULL;
    char line[512];
    a->addr[0] = '\0';
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "hostname ", 9) == 0)
            snprintf(a->addr, sizeof a->addr, "%.*s", (int)strcspn(line + 9, "\n"), line + 9);
    if (f)
        fclose(f);
    else
        close(p[0]);
    while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (a->addr[0] == '\0')
        return vp_run_error(err, 0, "ssh -G %s: no hostname", a->spec.host);
    /* numeric: servers listen on it, generators check it (net/target.h) */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
    int gai = getaddrinfo(a->addr, NULL, &hints, &ai);
    if (gai != 0)
        return vp_run_error(err, 0, "host %s: %s: %s", a->spec.host, a->addr, gai_strerror(gai));
    gai =
        getnameinfo(ai->ai_addr, ai->ai_addrlen, a->addr, sizeof a->addr, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(ai);
    return gai == 0 ? 0 : vp_run_error(err, 0, "host %s: %s", a->spec.host, gai_strerror(gai));
}

void vp_host_agent_tag(const char *appliance, char *buf, size_t len)
{
    snprintf(buf, len, "vp%d-%s", (int)getpid(), appliance);
}

static void host_destroy(struct vp_appliance *a);

/* Send msg on session r and wait up to ms for the event want (past signs
 * of life and a command's output); *out gets it. An error event is taken
 * into err. */
static int ask(struct vp_remote *r, json_t *msg, const char *want, int ms, json_t **out,
               struct vp_err *err)
{
    *out = NULL;
    int rc = vp_proto_send(vp_remote_fd(r), msg, err);
    json_t *m = NULL;
    while (rc == 0) {
        rc = vp_proto_recv(vp_remote_reader(r), ms, &m, err);
        const char *ev = rc == 1 ? vp_proto_str(m, "ev") : NULL;
        if (rc == 0)
            rc = vp_run_error(err, ETIMEDOUT, "no answer");
        else if (rc == -EPIPE)
            rc = vp_run_error(err, EPIPE, "the session ended");
        else if (ev && strcmp(ev, want) == 0)
            *out = m, rc = 0, m = NULL;
        else if (ev && strcmp(ev, "error") == 0)
            rc = vp_proto_take_error(m, err);
        else
            rc = 0, json_decref(m), m = NULL;
        if (*out)
            break;
    }
    json_decref(m);
    return rc;
}

/* The request that makes the appliance there, or (check) only says
 * whether it could be made. */
static json_t *appliance_request(const struct vp_appliance_spec *s, bool check)
{
    json_t *spec = json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:i, s:b, s:i, s:I, s:s}", "name",
                             s->name, "vcpus", (json_int_t)s->vcpus, "cpus", s->cpus, "weight",
                             (json_int_t)s->weight, "cap", (json_int_t)s->cap, "memory",
                             (json_int_t)s->memory, "net", s->net, "overcommit", s->overcommit,
                             "accel", s->accel, "disk", (json_int_t)s->disk, "uri", s->uri);
    return json_pack("{s:s, s:s, s:o, s:b}", "op", "appliance", "platform", s->host_platform,
                     "spec", spec, "check", check);
}

/* A kept appliance whose agent was lost: `virtperf cleanup` there removes
 * what its journal holds (its watcher has stopped the processes). */
static void cleanup_there(struct vp_appliance *a)
{
    const char *agent = getenv("VIRTPERF_REMOTE_AGENT");
    struct vp_remote *r = NULL;
    struct vp_err err = {0};
    json_t *m = NULL;
    int rc = vp_remote_open(a->agent, ANSWER_MS, &r, &err);
    if (rc == 0)
        rc = ask(r,
                 json_pack("{s:s, s:[s, s]}", "op", "exec", "argv",
                           agent && agent[0] ? agent : "virtperf", "cleanup"),
                 "exit", RELEASE_MS, &m, &err);
    if (rc == 0 && vp_proto_int(m, "status", -1) != 0)
        rc = vp_run_error(&err, 0, "exited %d", (int)vp_proto_int(m, "status", -1));
    if (rc < 0)
        fprintf(stderr, "virtperf: virtperf cleanup on %s: %s\n", a->spec.host, err.msg);
    json_decref(m);
    vp_remote_close(r);
}

/* Whether that host could make the appliance, asked before a run (its
 * validation, and a dry run's): what it says it cannot is an input error;
 * a host that cannot be asked now is left to the run, which will say so.
 * Each spec is asked once per process (a run validates twice). */
#define CHECKED_MAX 32
static int check_there(const struct vp_appliance_spec *s, struct vp_err *err)
{
    static char *checked[CHECKED_MAX]; /* the requests answered yes */
    static int nchecked;
    json_t *req = appliance_request(s, true);
    char *key = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
    for (int i = 0; key && i < nchecked; i++)
        if (strcmp(checked[i], key) == 0) {
            json_decref(req);
            free(key);
            return 0;
        }
    char agent[sizeof s->host + 8];
    snprintf(agent, sizeof agent, "ssh:%s", s->host);
    struct vp_remote *r = NULL;
    struct vp_err unreachable;
    json_t *m = NULL;
    int rc = 0;
    if (vp_remote_open(agent, ANSWER_MS, &r, &unreachable) == 0) {
        rc = ask(r, req, "appliance", ANSWER_MS, &m, err);
        req = NULL;
        if (rc < 0 && err->kind == VP_ERR_INPUT)
            vp_err_prefix(err, "on %s, platform %s", s->host, s->host_platform);
        else if (rc < 0)
            rc = 0; /* lost while asking: the run will say */
        else if (key && nchecked < CHECKED_MAX)
            checked[nchecked++] = key, key = NULL;
    }
    json_decref(req);
    json_decref(m);
    free(key);
    vp_remote_close(r);
    return rc;
}

/* The appliance made there by the agent, over a session of its own that
 * carries its tag (what it starts runs under it: the profiler's view). */
static int keep(struct vp_appliance *a, struct vp_err *err)
{
    const struct vp_appliance_spec *s = &a->spec;
    setenv("VIRTPERF_AGENT_TAG", a->tag, 1);
    int rc = vp_remote_open(a->agent, ANSWER_MS, &a->keeper, err);
    unsetenv("VIRTPERF_AGENT_TAG");
    if (rc < 0)
        return rc;
    json_t *m;
    /* a VM there boots before it answers */
    rc = ask(a->keeper, appliance_request(s, false), "appliance", RELEASE_MS, &m, err);
    if (rc < 0) { /* nothing kept: a session as any other, closed */
        vp_err_prefix(err, "on %s, platform %s", s->host, s->host_platform);
        vp_remote_close(a->keeper);
        a->keeper = NULL;
        if (err->kind != VP_ERR_INPUT) /* lost while making it: what it made goes */
            cleanup_there(a);
        return rc;
    }
    snprintf(a->attach, sizeof a->attach, "%s",
             vp_proto_str(m, "socket") ? vp_proto_str(m, "socket") : "");
    if (vp_proto_str(m, "address"))
        snprintf(a->addr, sizeof a->addr, "%s", vp_proto_str(m, "address"));
    /* the runs' platform: the host's facts, with what it is there */
    json_t *f = a->facts ? json_loads(a->facts, 0, NULL) : json_object();
    if (json_is_object(f)) {
        json_object_set_new(f, "platform", json_string(s->host_platform));
        json_object_set(f, "appliance", json_object_get(m, "facts"));
        free(a->facts);
        a->facts = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
    }
    json_decref(f);
    json_decref(m);
    return 0;
}

static int host_create(const struct vp_appliance_spec *s, struct vp_journal *j,
                       struct vp_appliance **out, struct vp_err *err)
{
    int rc = host_validate(s, err);
    if (rc < 0)
        return rc;
    struct vp_appliance *a = calloc(1, sizeof *a);
    if (a == NULL)
        return vp_run_error(err, ENOMEM, "appliance");
    a->spec = *s;
    a->j = j;
    snprintf(a->agent, sizeof a->agent, "ssh:%s", s->host);
    vp_host_agent_tag(s->name, a->tag, sizeof a->tag);
    struct vp_remote *r = NULL;
    if ((rc = resolve(a, err)) == 0 && (rc = vp_remote_open(a->agent, ANSWER_MS, &r, err)) == 0) {
        const char *facts = vp_remote_platform(r);
        a->facts = facts ? strdup(facts) : NULL;
        vp_remote_close(r);
    }
    if (rc == 0 && kept(s))
        rc = keep(a, err);
    if (rc < 0) {
        host_destroy(a);
        return rc;
    }
    *out = a;
    return 0;
}

static int host_start(struct vp_appliance *a, const struct vp_exec *ex, pid_t *pid,
                      struct vp_err *err)
{
    if (a->nprocs == MAXPROCS)
        return vp_run_error(err, EMFILE, "appliance %s: too many processes", a->spec.name);
    struct vp_argv cl;
    int rc = vp_relay_argv(ex->argv, a->agent, &cl, err);
    if (rc < 0)
        return rc;
    struct vp_exec relay = *ex;
    relay.argv = cl.argv;
    relay.caps = 0; /* the relay needs none; the process there runs as the SSH user */
    relay.user = false;
    setenv("VIRTPERF_AGENT_TAG", a->tag, 1); /* its ssh names it to the agent there */
    if (a->keeper) { /* a session inside the kept one, whose runs say what it is */
        setenv("VIRTPERF_AGENT_ATTACH", a->attach, 1);
        setenv("VIRTPERF_HOST_PLATFORM", a->spec.host_platform, 1);
    }
    rc = vp_spawn(a->j, &relay, NULL, NULL, pid, &a->proc_id[a->nprocs], err);
    unsetenv("VIRTPERF_AGENT_TAG");
    unsetenv("VIRTPERF_AGENT_ATTACH");
    unsetenv("VIRTPERF_HOST_PLATFORM");
    if (rc < 0)
        return rc;
    a->pid[a->nprocs++] = *pid;
    return 0;
}

/* Each relay goes; its channel's end closing ends what it ran there. */
static int host_stop(struct vp_appliance *a, struct vp_err *err)
{
    for (int i = 0; i < a->nprocs; i++)
        vp_spawn_kill(a->j, a->pid[i], a->proc_id[i]);
    a->nprocs = 0;
    json_t *m = NULL; /* and what runs in the kept one, whoever started it */
    int rc = a->keeper
                 ? ask(a->keeper, json_pack("{s:s}", "op", "stop"), "stopped", ANSWER_MS, &m, err)
                 : 0;
    json_decref(m);
    return rc;
}

/* Asked of the agent there over a session of its own (untagged, so not
 * counted), kept for the next time; closed on any trouble, reopened then. */
static int host_usage(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err)
{
    memset(u, 0, sizeof *u);
    json_t *m = NULL;
    int rc;
    if (a->keeper) { /* that platform's own figures (cgroup, VM) */
        rc = ask(a->keeper, json_pack("{s:s}", "op", "usage"), "usage", ANSWER_MS, &m, err);
    } else {
        rc = a->usage_session ? 0 : vp_remote_open(a->agent, ANSWER_MS, &a->usage_session, err);
        if (rc == 0)
            rc = ask(a->usage_session, json_pack("{s:s, s:s}", "op", "usage", "tag", a->tag),
                     "usage", ANSWER_MS, &m, err);
    }
    if (rc == 0) {
        u->cpu_user_ns = (uint64_t)vp_proto_int(m, "cpu_user_ns", 0);
        u->cpu_system_ns = (uint64_t)vp_proto_int(m, "cpu_system_ns", 0);
        u->throttled_periods = (uint64_t)vp_proto_int(m, "throttled_periods", 0);
        u->throttled_ns = (uint64_t)vp_proto_int(m, "throttled_ns", 0);
        u->periods = (uint64_t)vp_proto_int(m, "periods", 0);
        u->memory_bytes = (uint64_t)vp_proto_int(m, "memory_bytes", 0);
        u->oom_kills = (uint64_t)vp_proto_int(m, "oom_kills", 0);
    }
    json_decref(m);
    if (rc < 0) {
        vp_err_prefix(err, "appliance %s: its CPU time on %s", a->spec.name, a->spec.host);
        vp_remote_close(a->usage_session);
        a->usage_session = NULL;
    }
    return rc;
}

static const char *host_address(struct vp_appliance *a)
{
    return a->addr;
}

static const char *host_facts(struct vp_appliance *a)
{
    return a->facts;
}

static void host_destroy(struct vp_appliance *a)
{
    if (a == NULL)
        return;
    struct vp_err err;
    host_stop(a, &err);
    json_t *m = NULL; /* the kept appliance goes before this returns */
    if (a->keeper &&
        ask(a->keeper, json_pack("{s:s}", "op", "release"), "released", RELEASE_MS, &m, &err) < 0)
        cleanup_there(a);
    json_decref(m);
    vp_remote_close(a->keeper);
    vp_remote_close(a->usage_session);
    free(a->facts);
    free(a);
}

const struct vp_platform_ops vp_platform_host = {
    .version = VP_PLATFORM_OPS_VERSION,
    .name = "host",
    .summary = "another machine's own processes, run by its agent over SSH",
    .unsupported = host_unsupported,
    .validate = host_validate,
    .create = host_create,
    .start = host_start,
    .stop = host_stop,
    .usage = host_usage,
    .address = host_address,
    .destroy = host_destroy,
    .facts = host_facts,
};
