#include "timing/probe.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put32(uint8_t *b, uint32_t v)
{
    v = htobe32(v);
    memcpy(b, &v, 4);
}

static void put64(uint8_t *b, uint64_t v)
{
    v = htobe64(v);
    memcpy(b, &v, 8);
}

static uint32_t get32(const uint8_t *b)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return be32toh(v);
}

static uint64_t get64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return be64toh(v);
}

static void tag_of(const uint8_t *buf, const struct vp_probe_key *key, uint8_t *tag)
{
    crypto_auth_hmacsha256(tag, buf, VP_PROBE_TAG_OFF, key->k);
}

void vp_probe_encode(const struct vp_probe *p, const struct vp_probe_key *key, uint8_t *buf)
{
    memset(buf, 0, VP_PROBE_SIZE);
    put32(buf, VP_PROBE_MAGIC);
    buf[4] = VP_PROBE_VERSION;
    buf[5] = p->kind;
    buf[6] = p->acked;
    buf[7] = p->copy;
    put64(buf + 8, p->token);
    size_t n = strnlen(p->appliance, VP_PROBE_APPLIANCE_MAX - 1);
    memcpy(buf + 16, p->appliance, n);
    put32(buf + 48, p->round);
    put64(buf + 56, p->seq);
    put64(buf + 64, p->sender_ns);
    put64(buf + 72, p->server_ns);
    tag_of(buf, key, buf + VP_PROBE_TAG_OFF);
}

enum vp_probe_status vp_probe_decode(const uint8_t *buf, size_t len, const struct vp_probe_key *key,
                                     struct vp_probe *p)
{
    if (len != VP_PROBE_SIZE)
        return VP_PROBE_TRUNCATED;
    if (get32(buf) != VP_PROBE_MAGIC)
        return VP_PROBE_MALFORMED;
    if (buf[4] != VP_PROBE_VERSION)
        return VP_PROBE_BAD_VERSION;
    uint8_t tag[crypto_auth_hmacsha256_BYTES];
    tag_of(buf, key, tag);
    if (sodium_memcmp(tag, buf + VP_PROBE_TAG_OFF, sizeof tag) != 0)
        return VP_PROBE_BAD_TAG;
    /* authenticated from here on: what is left is a buggy sender */
    memset(p, 0, sizeof *p);
    p->kind = buf[5];
    p->acked = buf[6];
    p->copy = buf[7];
    if (p->kind < VP_PROBE_START || p->kind > VP_PROBE_ACK || p->copy == 0 || get32(buf + 52) != 0)
        return VP_PROBE_MALFORMED;
    if ((p->kind == VP_PROBE_ACK) != (p->acked != 0) || p->acked > VP_PROBE_HEARTBEAT)
        return VP_PROBE_MALFORMED;
    memcpy(p->appliance, buf + 16, VP_PROBE_APPLIANCE_MAX);
    size_t n = strnlen(p->appliance, VP_PROBE_APPLIANCE_MAX);
    if (n == 0 || n == VP_PROBE_APPLIANCE_MAX)
        return VP_PROBE_MALFORMED;
    for (size_t i = n; i < VP_PROBE_APPLIANCE_MAX; i++)
        if (p->appliance[i] != 0)
            return VP_PROBE_MALFORMED;
    p->token = get64(buf + 8);
    p->round = get32(buf + 48);
    p->seq = get64(buf + 56);
    p->sender_ns = get64(buf + 64);
    p->server_ns = get64(buf + 72);
    if (p->token == 0 || p->seq == 0)
        return VP_PROBE_MALFORMED;
    return VP_PROBE_OK;
}

static const char *const kind_names[] = {NULL, "start", "end", "heartbeat", "ack"};

const char *vp_probe_kind_name(int kind)
{
    return kind >= VP_PROBE_START && kind <= VP_PROBE_ACK ? kind_names[kind] : "?";
}

int vp_probe_kind_parse(const char *name)
{
    for (int k = VP_PROBE_START; k <= VP_PROBE_ACK; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return 0;
}

const char *vp_probe_status_name(int status)
{
    static const char *const names[] = {"ok", "truncated", "malformed", "bad_version", "bad_hmac"};
    return status >= 0 && status <= VP_PROBE_BAD_TAG ? names[status] : "?";
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 64 hex digits with optional surrounding whitespace, into key. */
static bool parse_hex(const uint8_t *buf, size_t len, struct vp_probe_key *key)
{
    size_t a = 0, b = len;
    while (a < b && (buf[a] == ' ' || buf[a] == '\n' || buf[a] == '\t' || buf[a] == '\r'))
        a++;
    while (b > a &&
           (buf[b - 1] == ' ' || buf[b - 1] == '\n' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
        b--;
    if (b - a != 2 * VP_PROBE_KEY_SIZE)
        return false;
    for (size_t i = 0; i < VP_PROBE_KEY_SIZE; i++) {
        int hi = hexval(buf[a + 2 * i]), lo = hexval(buf[a + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        key->k[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool vp_probe_key_parse(const uint8_t *buf, size_t len, struct vp_probe_key *key)
{
    if (len != VP_PROBE_KEY_SIZE)
        return parse_hex(buf, len, key);
    memcpy(key->k, buf, VP_PROBE_KEY_SIZE);
    return true;
}

int vp_probe_key_load(const char *path, struct vp_probe_key *key, struct vp_err *err)
{
    uint8_t buf[160];
    ssize_t n = 0;
    int rc = 0;
    struct stat sb;
    if (sodium_init() < 0)
        return vp_run_error(err, 0, "libsodium failed to initialise");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vp_input_error(err, "key file %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        rc = vp_input_error(err, "key file %s: not a regular file", path);
        goto out;
    }
    if (sb.st_mode & 077) {
        rc = vp_input_error(err, "key file %s: permissions %03o are too open (chmod 600)", path,
                            (unsigned)(sb.st_mode & 0777));
        goto out;
    }
    n = read(fd, buf, sizeof buf);
    if (n < 0) {
        rc = vp_input_error(err, "key file %s: %s", path, strerror(errno));
        goto out;
    }
    /* a file that fills the buffer is longer than any key: what follows
     * would go unread, so it is refused rather than cut */
    if ((size_t)n == sizeof buf || !vp_probe_key_parse(buf, (size_t)n, key))
        rc = vp_input_error(
            err, "key file %s: expected 32 raw bytes or 64 hex digits, found %s%zd bytes", path,
            (size_t)n == sizeof buf ? "over " : "", n);
out:
    sodium_memzero(buf, sizeof buf);
    close(fd);
    return rc;
}

void vp_probe_key_random(struct vp_probe_key *key)
{
    if (sodium_init() >= 0)
        randombytes_buf(key->k, sizeof key->k);
}

uint64_t vp_probe_new_token(void)
{
    uint64_t t = 0;
    if (sodium_init() < 0)
        return 1;
    while (t == 0)
        randombytes_buf(&t, sizeof t);
    return t;
}

void vp_probe_token_format(uint64_t token, char buf[17])
{
    snprintf(buf, 17, "%016" PRIx64, token);
}

int vp_probe_token_parse(const char *s, uint64_t *token)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 16)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        int d = hexval((unsigned char)s[i]);
        if (d < 0)
            return -EINVAL;
        v = v << 4 | (uint64_t)d;
    }
    if (v == 0)
        return -EINVAL;
    *token = v;
    return 0;
}
