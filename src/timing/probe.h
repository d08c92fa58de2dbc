/* The probe protocol: round marks sent to an external time server, and its
 * acknowledgements, as one fixed-size, versioned, authenticated datagram.
 *
 * Layout (112 bytes, integers in network byte order):
 *
 *   off size field
 *     0   4  magic      "VPTM" (0x5650544d)
 *     4   1  version    VP_PROBE_VERSION (1)
 *     5   1  kind       1 start, 2 end, 3 heartbeat, 4 ack
 *     6   1  acked      acks: the kind of the mark acknowledged; marks: 0
 *     7   1  copy       marks: which copy of the mark this is, 1..255 (a
 *                       retransmission is the same mark with a higher copy);
 *                       acks: the copy the server stamped (the first to arrive)
 *     8   8  run token  random 64-bit id of the run, kept with it in the store
 *    16  32  appliance  name, NUL-padded (at most 31 bytes, no NUL inside)
 *    48   4  round      round index, warm-up rounds included
 *    52   4  reserved   0
 *    56   8  seq        per (run, appliance) sequence number, never 0; the
 *                       senders here use round * 4 + kind (timing/sender.h)
 *    64   8  sender_ns  the sender's CLOCK_REALTIME reading (its own clock,
 *                       possibly distorted; for people and the time window)
 *    72   8  server_ns  acks: the server's kernel receive timestamp of the
 *                       mark (SO_TIMESTAMPNS, CLOCK_REALTIME); marks: 0
 *    80  32  tag        HMAC-SHA256 (libsodium) of bytes 0..79 with the
 *                       per-run 32-byte key
 *
 * The key file holds the 32-byte key raw or as 64 hex digits (whitespace
 * around them allowed); a file readable or writable by group or others is
 * refused. Decoding checks length, magic, version, kind and the tag, in that
 * order, and says which check failed. */
#ifndef VP_TIMING_PROBE_H
#define VP_TIMING_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VP_PROBE_MAGIC         0x5650544dU
#define VP_PROBE_VERSION       1
#define VP_PROBE_SIZE          112
#define VP_PROBE_TAG_OFF       80
#define VP_PROBE_KEY_SIZE      32
#define VP_PROBE_APPLIANCE_MAX 32 /* with the terminating NUL */

enum vp_probe_kind { VP_PROBE_START = 1, VP_PROBE_END, VP_PROBE_HEARTBEAT, VP_PROBE_ACK };

struct vp_probe {
    uint8_t kind, acked, copy;
    uint64_t token;
    char appliance[VP_PROBE_APPLIANCE_MAX];
    uint32_t round;
    uint64_t seq;
    uint64_t sender_ns, server_ns;
};

/* Why a datagram was refused. */
enum vp_probe_status {
    VP_PROBE_OK = 0,
    VP_PROBE_TRUNCATED, /* shorter or longer than VP_PROBE_SIZE */
    VP_PROBE_MALFORMED, /* bad magic, kind, padding or appliance name */
    VP_PROBE_BAD_VERSION,
    VP_PROBE_BAD_TAG, /* forged, damaged or signed with another key */
};

struct vp_probe_key {
    uint8_t k[VP_PROBE_KEY_SIZE];
};

/* Write p into buf (VP_PROBE_SIZE bytes) and sign it. */
void vp_probe_encode(const struct vp_probe *p, const struct vp_probe_key *key, uint8_t *buf);

/* Check and read a received datagram. */
enum vp_probe_status vp_probe_decode(const uint8_t *buf, size_t len, const struct vp_probe_key *key,
                                     struct vp_probe *p);

const char *vp_probe_kind_name(int kind);     /* "start", ..., "?" */
int vp_probe_kind_parse(const char *name);    /* 0 when unknown */
const char *vp_probe_status_name(int status); /* "truncated", ... */

/* A key file's bytes: 32 raw bytes or 64 hex digits (see above); false
 * for anything else. */
bool vp_probe_key_parse(const uint8_t *buf, size_t len, struct vp_probe_key *key);
/* Read a key file (see above); problems are input errors naming the file. */
int vp_probe_key_load(const char *path, struct vp_probe_key *key, struct vp_err *err);

/* A fresh random key (for a time server and its senders in one process). */
void vp_probe_key_random(struct vp_probe_key *key);

/* A fresh random run token (libsodium's randombytes), never 0. */
uint64_t vp_probe_new_token(void);

/* Tokens are written and read as 16 hex digits. */
void vp_probe_token_format(uint64_t token, char buf[17]);
int vp_probe_token_parse(const char *s, uint64_t *token);

#endif
