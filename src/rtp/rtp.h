/* RTP packets (RFC 3550 §5.1) and the probe virtperf carries in their payload.
 *
 * The fixed 12-byte header is encoded and decoded here (no CSRCs or header
 * extensions are written; on decode they are skipped, padding removed). The
 * first VP_RTP_PROBE_LEN bytes of the payload of a virtperf stream hold the
 * probe: a magic word, the run token, the stream index, a 32-bit sequence
 * number and the CLOCK_MONOTONIC send time in nanoseconds, all big-endian. */
#ifndef VP_RTP_RTP_H
#define VP_RTP_RTP_H

#include <stddef.h>
#include <stdint.h>

#define VP_RTP_HEADER_LEN  12
#define VP_RTP_PROBE_LEN   24
#define VP_RTP_PROBE_MAGIC 0x76707274u /* "vprt" */
#define VP_RTP_PT_PCMU     0

struct vp_rtp_header {
    uint8_t version; /* 2 */
    uint8_t padding, extension, csrc_count, marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
};

struct vp_rtp_probe {
    uint32_t token;  /* identifies the run */
    uint32_t stream; /* index of the stream in its run */
    uint32_t seq;    /* per-stream sequence number, 0 first, never wraps in a run */
    uint64_t sent_ns;
};

/* Write the 12-byte header to buf (at least VP_RTP_HEADER_LEN bytes). */
void vp_rtp_header_encode(const struct vp_rtp_header *h, uint8_t *buf);

/* Parse a packet: 0 and the header, the payload offset and length; -EBADMSG
 * when it is not RTP version 2 or is shorter than its header claims. */
int vp_rtp_header_decode(const uint8_t *pkt, size_t len, struct vp_rtp_header *h,
                         size_t *payload_off, size_t *payload_len);

void vp_rtp_probe_encode(const struct vp_rtp_probe *p, uint8_t *payload);
/* -EBADMSG when the payload is too short or does not start with the magic. */
int vp_rtp_probe_decode(const uint8_t *payload, size_t len, struct vp_rtp_probe *p);

/* The SSRC of stream i of the run with this token (nonzero, distinct per stream). */
uint32_t vp_rtp_stream_ssrc(uint32_t token, uint32_t stream);

#endif
