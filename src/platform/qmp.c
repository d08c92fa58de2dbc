#include "platform/qmp.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/signals.h"
#include "guest/proto.h"

#define QMP_TIMEOUT_MS 5000

/* The reply to the last command, skipping asynchronous events. */
static int reply(struct vp_proto_reader *rd, json_t **out, struct vp_err *err)
{
    for (;;) {
        int rc = vp_proto_recv(rd, QMP_TIMEOUT_MS, out, err);
        if (rc == -EINTR && !vp_interrupted)
            continue; /* SIGUSR1 */
        if (rc == 0)
            return vp_run_error(err, ETIMEDOUT, "QMP: no reply");
        if (rc < 0)
            return rc;
        if (json_object_get(*out, "return"))
            return 0;
        json_t *e = json_object_get(*out, "error");
        if (e) {
            rc = vp_run_error(err, 0, "QMP: %s",
                              vp_proto_str(e, "desc") ? vp_proto_str(e, "desc") : "error");
            json_decref(*out);
            return rc;
        }
        json_decref(*out); /* an event, or the greeting */
    }
}

/* Connect, read the greeting, leave capabilities negotiation mode. */
static int qmp_open(const char *path, struct vp_proto_reader *rd, struct vp_err *err)
{
    int fd = vp_proto_connect(path, 0, err);
    if (fd < 0)
        return fd;
    vp_proto_reader_init(rd, fd);
    json_t *m;
    int rc = vp_proto_send(fd, json_pack("{s:s}", "execute", "qmp_capabilities"), err);
    if (rc == 0 && (rc = reply(rd, &m, err)) == 0)
        json_decref(m);
    if (rc < 0) {
        vp_proto_reader_free(rd);
        close(fd);
    }
    return rc;
}

static void qmp_close(struct vp_proto_reader *rd)
{
    close(rd->fd);
    vp_proto_reader_free(rd);
}

int vp_qmp_parse_vcpus(const json_t *cpus, pid_t *tids, int max)
{
    size_t i;
    json_t *cpu;
    int n = 0;
    json_array_foreach(cpus, i, cpu)
    {
        int64_t index = vp_proto_int(cpu, "cpu-index", -1);
        if (index >= 0 && index < max) {
            tids[index] = (pid_t)vp_proto_int(cpu, "thread-id", 0);
            n = index + 1 > n ? (int)index + 1 : n;
        }
    }
    return n;
}

int vp_qmp_vcpu_threads(const char *path, pid_t *tids, int max, struct vp_err *err)
{
    struct vp_proto_reader rd;
    json_t *m;
    int rc = qmp_open(path, &rd, err);
    if (rc < 0)
        return rc;
    if ((rc = vp_proto_send(rd.fd, json_pack("{s:s}", "execute", "query-cpus-fast"), err)) == 0 &&
        (rc = reply(&rd, &m, err)) == 0) {
        rc = vp_qmp_parse_vcpus(json_object_get(m, "return"), tids, max);
        json_decref(m);
    }
    qmp_close(&rd);
    return rc;
}

int vp_qmp_execute(const char *path, const char *command, struct vp_err *err)
{
    struct vp_proto_reader rd;
    json_t *m;
    int rc = qmp_open(path, &rd, err);
    if (rc < 0)
        return rc;
    if ((rc = vp_proto_send(rd.fd, json_pack("{s:s}", "execute", command), err)) == 0 &&
        (rc = reply(&rd, &m, err)) == 0)
        json_decref(m);
    qmp_close(&rd);
    return rc;
}

/* The getfd command with fd as its ancillary data (SCM_RIGHTS). */
static int send_getfd(int sock, const char *name, int fd, struct vp_err *err)
{
    char text[128];
    int len = snprintf(text, sizeof text,
                       "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"}}\n", name);
    struct iovec iov = {text, (size_t)len};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u = {0};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n == len ? 0 : vp_run_error(err, n < 0 ? errno : EIO, "QMP: getfd");
}

int vp_qmp_add_nic(const char *path, const char *id, int tapfd, const char *mac, struct vp_err *err)
{
    struct vp_proto_reader rd;
    json_t *m;
    int rc = qmp_open(path, &rd, err);
    if (rc < 0)
        return rc;
    if ((rc = send_getfd(rd.fd, id, tapfd, err)) == 0 && (rc = reply(&rd, &m, err)) == 0) {
        json_decref(m);
        rc = vp_proto_send(rd.fd,
                           json_pack("{s:s,s:{s:s,s:s,s:s}}", "execute", "netdev_add", "arguments",
                                     "type", "tap", "id", id, "fd", id),
                           err);
    }
    if (rc == 0 && (rc = reply(&rd, &m, err)) == 0) {
        json_decref(m);
        rc = vp_proto_send(rd.fd,
                           json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "execute", "device_add",
                                     "arguments", "driver", "virtio-net-pci", "id", id, "netdev",
                                     id, "mac", mac, "romfile", ""),
                           err);
    }
    if (rc == 0 && (rc = reply(&rd, &m, err)) == 0)
        json_decref(m);
    qmp_close(&rd);
    if (rc < 0)
        vp_err_prefix(err, "network card %s", id);
    return rc;
}
