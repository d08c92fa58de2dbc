#include "guest/proto.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"

int vp_proto_silence_ms(void)
{
    const char *env = getenv("VIRTPERF_GUEST_SILENCE_MS");
    int ms = env ? atoi(env) : 0;
    return ms > 0 ? ms : 30000;
}

const char *vp_proto_hang_text(char *buf, size_t len)
{
    snprintf(buf, len, "gave no sign of life for %g s: the guest hangs",
             vp_proto_silence_ms() / 1000.0);
    return buf;
}

int vp_proto_send(int fd, json_t *msg, struct vp_err *err)
{
    if (msg == NULL)
        return vp_run_error(err, ENOMEM, "agent message");
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text == NULL)
        return vp_run_error(err, ENOMEM, "agent message");
    size_t len = strlen(text), off = 0;
    text[len++] = '\n'; /* json_dumps leaves room: its terminator becomes the newline */
    int rc = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno == EPIPE || errno == ECONNRESET ? -EPIPE : -errno;
            vp_run_error(err, -rc, "agent channel");
            break;
        }
        off += (size_t)n;
    }
    free(text);
    return rc;
}

void vp_proto_reader_init(struct vp_proto_reader *r, int fd)
{
    *r = (struct vp_proto_reader){.fd = fd};
}

void vp_proto_reader_free(struct vp_proto_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

/* Take the first line out of the buffer, if there is a whole one. */
static int take_line(struct vp_proto_reader *r, json_t **out, struct vp_err *err)
{
    char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
    if (nl == NULL)
        return 0;
    size_t n = (size_t)(nl - r->buf);
    json_error_t je;
    json_t *msg = json_loadb(r->buf, n, 0, &je);
    memmove(r->buf, nl + 1, r->len - n - 1);
    r->len -= n + 1;
    r->stamp_ns = r->buf_stamp_ns;
    if (msg == NULL || !json_is_object(msg)) {
        json_decref(msg);
        return vp_run_error(err, EPROTO, "agent channel: not a JSON object (%s)", je.text);
    }
    *out = msg;
    return 1;
}

int vp_proto_recv(struct vp_proto_reader *r, int timeout_ms, json_t **out, struct vp_err *err)
{
    uint64_t deadline = timeout_ms < 0 ? 0 : vp_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    *out = NULL;
    for (bool first = true;; first = false) {
        int rc = take_line(r, out, err);
        if (rc != 0)
            return rc;
        if (r->len == VP_PROTO_LINE_MAX)
            return vp_run_error(err, EPROTO, "agent channel: a line over %d bytes",
                                VP_PROTO_LINE_MAX);
        int wait = -1;
        if (timeout_ms >= 0) { /* at least one look, even with timeout 0 */
            uint64_t now = vp_now_ns();
            if (now >= deadline && !first)
                return 0;
            wait = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        }
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int n = poll(&p, 1, wait);
        if (n < 0 && errno == EINTR) { /* the caller decides: a signal may ask it to stop */
            vp_run_error(err, EINTR, "agent channel");
            return -EINTR;
        }
        if (n < 0)
            return vp_run_error(err, errno, "agent channel");
        if (n == 0)
            continue;
        if (r->cap - r->len < 4096) {
            size_t cap = r->cap ? r->cap * 2 : 16384;
            if (cap > VP_PROTO_LINE_MAX)
                cap = VP_PROTO_LINE_MAX;
            char *bigger = realloc(r->buf, cap);
            if (bigger == NULL)
                return vp_run_error(err, ENOMEM, "agent channel");
            r->buf = bigger;
            r->cap = cap;
        }
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        r->buf_stamp_ns = vp_now_ns();
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0 && errno != ECONNRESET)
            return vp_run_error(err, errno, "agent channel");
        if (got <= 0) {
            vp_run_error(err, 0, "agent channel closed");
            return -EPIPE;
        }
        r->len += (size_t)got;
    }
}

const char *vp_proto_str(const json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

int64_t vp_proto_int(const json_t *msg, const char *key, int64_t def)
{
    json_t *v = json_object_get(msg, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool vp_proto_bool(const json_t *msg, const char *key)
{
    return json_is_true(json_object_get(msg, key));
}

json_t *vp_proto_error(const struct vp_err *err)
{
    return json_pack("{s:s, s:b, s:s}", "ev", "error", "input", err->kind == VP_ERR_INPUT,
                     "message", err->msg[0] ? err->msg : "unknown error");
}

int vp_proto_take_error(const json_t *msg, struct vp_err *err)
{
    const char *m = vp_proto_str(msg, "message");
    if (m == NULL || *m == '\0') /* an empty one would print as nothing at all */
        m = "the guest's error event gave no message";
    if (vp_proto_bool(msg, "input"))
        return vp_input_error(err, "%s", m);
    return vp_run_error(err, 0, "%s", m);
}

char *vp_proto_b64(const void *data, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);
    if (out)
        sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

long vp_proto_unb64(const char *text, void *out, size_t max)
{
    size_t n;
    if (sodium_base642bin(out, max, text, strlen(text), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    return (long)n;
}

int vp_proto_connect(const char *path, int timeout_ms, struct vp_err *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return vp_input_error(err, "agent socket path too long: %s", path);
    strcpy(a.sun_path, path);
    uint64_t deadline = vp_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return vp_run_error(err, errno, "socket");
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        int e = errno;
        close(fd);
        if (vp_now_ns() >= deadline || vp_interrupted)
            return vp_run_error(err, e, "agent socket %s", path);
        vp_sleep_ns(20000000);
    }
}
