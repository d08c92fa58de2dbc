#include "timing/sender.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "rtp/addr.h"

#define FIRST_WAIT_NS 20000000ull
#define MAX_WAIT_NS   500000000ull
#define NSLOTS        (VP_PROBE_HEARTBEAT + 1)

/* A posted mark not yet acknowledged (or acknowledged and not yet waited for). */
struct slot {
    bool active, acked;
    struct vp_probe p;
    uint64_t next_ns, backoff_ns; /* next retransmission, CLOCK_MONOTONIC */
    struct vp_mark_ack ack;
};

struct vp_mark_client {
    int fd;
    struct vp_probe_key key;
    uint64_t token;
    char appliance[VP_PROBE_APPLIANCE_MAX];
    char server[128];
    uint64_t timeout_ns;
    struct slot slots[NSLOTS];
};

int vp_mark_client_open(const struct vp_mark_client_cfg *cfg, struct vp_mark_client **out,
                        struct vp_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc;
    *out = NULL;
    if ((rc = vp_parse_hostport("--timeserver", cfg->server, &ss, &len, err)) < 0)
        return rc;
    size_t n = strlen(cfg->appliance);
    if (n == 0 || n >= VP_PROBE_APPLIANCE_MAX)
        return vp_input_error(err, "appliance name \"%s\": 1 to %d bytes", cfg->appliance,
                              VP_PROBE_APPLIANCE_MAX - 1);
    struct vp_mark_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return vp_run_error(err, ENOMEM, "mark sender");
    c->key = cfg->key;
    c->token = cfg->token;
    memcpy(c->appliance, cfg->appliance, n + 1);
    snprintf(c->server, sizeof c->server, "%s", cfg->server);
    c->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
    c->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&ss, len) < 0) {
        rc = vp_run_error(err, errno, "time server %s", cfg->server);
        vp_mark_client_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void vp_mark_client_close(struct vp_mark_client *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    sodium_memzero(&c->key, sizeof c->key);
    free(c);
}

/* Send the next copy of a slot's mark. */
static void transmit(struct vp_mark_client *c, struct slot *s)
{
    uint8_t buf[VP_PROBE_SIZE];
    if (s->p.copy < 255)
        s->p.copy++;
    vp_probe_encode(&s->p, &c->key, buf);
    if (send(c->fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf)
        s->ack.copies++;
    s->next_ns = vp_now_ns() + s->backoff_ns;
    s->backoff_ns = s->backoff_ns * 2 < MAX_WAIT_NS ? s->backoff_ns * 2 : MAX_WAIT_NS;
}

int vp_mark_post(struct vp_mark_client *c, int kind, uint32_t round, struct vp_err *err)
{
    if (kind < VP_PROBE_START || kind > VP_PROBE_HEARTBEAT)
        return vp_input_error(err, "mark kind %d", kind);
    struct slot *s = &c->slots[kind];
    memset(s, 0, sizeof *s);
    s->active = true;
    s->p = (struct vp_probe){.kind = (uint8_t)kind,
                             .token = c->token,
                             .round = round,
                             .seq = (uint64_t)round * 4 + (uint64_t)kind};
    memcpy(s->p.appliance, c->appliance, sizeof s->p.appliance);
    s->backoff_ns = FIRST_WAIT_NS;
    s->p.sender_ns = vp_wall_ns();
    transmit(c, s);
    return 0;
}

/* Read every acknowledgement waiting on the socket into its slot. */
static void drain(struct vp_mark_client *c)
{
    uint8_t buf[VP_PROBE_SIZE + 1];
    ssize_t got;
    while ((got = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0 || errno == ECONNREFUSED) {
        struct vp_probe a;
        if (got < 0 || vp_probe_decode(buf, (size_t)got, &c->key, &a) != VP_PROBE_OK ||
            a.kind != VP_PROBE_ACK || a.token != c->token || a.acked > VP_PROBE_HEARTBEAT)
            continue;
        struct slot *s = &c->slots[a.acked];
        if (s->active && !s->acked && a.seq == s->p.seq && a.round == s->p.round &&
            strcmp(a.appliance, s->p.appliance) == 0) {
            s->acked = true;
            s->ack.server_ns = a.server_ns;
            s->ack.stamped_copy = a.copy;
        }
        /* otherwise an ack of an earlier mark: ignored */
    }
}

int vp_mark_wait(struct vp_mark_client *c, int kind, struct vp_mark_ack *ack, struct vp_err *err)
{
    if (kind < VP_PROBE_START || kind > VP_PROBE_HEARTBEAT || !c->slots[kind].active)
        return vp_input_error(err, "no %s mark was posted", vp_probe_kind_name(kind));
    struct slot *want = &c->slots[kind];
    uint64_t deadline = vp_now_ns() + c->timeout_ns;
    for (;;) {
        drain(c);
        if (want->acked) {
            *ack = want->ack;
            want->active = false;
            return 0;
        }
        uint64_t now = vp_now_ns();
        if (now >= deadline || vp_interrupted)
            break;
        uint64_t next = deadline;
        for (int k = 0; k < NSLOTS; k++) {
            struct slot *s = &c->slots[k];
            if (!s->active || s->acked)
                continue;
            if (s->next_ns <= now)
                transmit(c, s);
            if (s->next_ns < next)
                next = s->next_ns;
        }
        struct pollfd pf = {c->fd, POLLIN, 0};
        now = vp_now_ns();
        poll(&pf, 1, next > now ? (int)((next - now + 999999) / 1000000) : 0);
    }
    *ack = want->ack;
    want->active = false;
    if (vp_interrupted)
        return vp_run_error(err, EINTR, "time server %s: %s mark of round %u", c->server,
                            vp_probe_kind_name(kind), want->p.round);
    return vp_run_error(err, 0,
                        "time server %s did not acknowledge the %s mark of round %u (%d copies "
                        "sent in %.1f s)",
                        c->server, vp_probe_kind_name(kind), want->p.round, want->ack.copies,
                        (double)c->timeout_ns / 1e9);
}

int vp_mark_send(struct vp_mark_client *c, int kind, uint32_t round, struct vp_mark_ack *ack,
                 struct vp_err *err)
{
    int rc = vp_mark_post(c, kind, round, err);
    return rc < 0 ? rc : vp_mark_wait(c, kind, ack, err);
}

/* A mark whose first copy was lost was stamped when a later copy arrived:
 * the round's external time would be wrong by the retransmission delay. */
static int check_first_copy(const struct vp_mark_client *c, const char *what, uint32_t round,
                            const struct vp_mark_ack *a, struct vp_err *err)
{
    if (a->stamped_copy == 1)
        return 0;
    return vp_run_error(err, 0,
                        "round %u: the first copy of its %s mark to time server %s was lost; "
                        "the round cannot be timed externally",
                        round, what, c->server);
}

int vp_mark_round_wait(struct vp_mark_client *c, uint32_t round, struct vp_mark_round *out,
                       struct vp_err *err)
{
    struct vp_mark_ack sa, ea;
    int rc;
    if ((rc = vp_mark_wait(c, VP_PROBE_START, &sa, err)) < 0 ||
        (rc = vp_mark_wait(c, VP_PROBE_END, &ea, err)) < 0 ||
        (rc = check_first_copy(c, "start", round, &sa, err)) < 0 ||
        (rc = check_first_copy(c, "end", round, &ea, err)) < 0)
        return rc;
    /* server stamps are CLOCK_REALTIME: an end before the start means the
     * server's clock was stepped; such a round cannot be timed externally */
    if (ea.server_ns < sa.server_ns)
        return vp_run_error(err, 0, "time server's clock went back %.3f ms in round %u",
                            (double)(sa.server_ns - ea.server_ns) / 1e6, round);
    *out = (struct vp_mark_round){sa.server_ns, ea.server_ns, sa.copies + ea.copies};
    return 0;
}
