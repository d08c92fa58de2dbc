/* The guest agent's channel (guest/proto.c) as the host reads it: any bytes
 * give JSON objects, one a line, then an error or the end; an error event
 * reads as an error with a message, exec output decodes within its buffer. */
#include <errno.h>
#include <unistd.h>

#include "fuzz.h"
#include "guest/proto.h"

static void event(const json_t *msg)
{
    struct vp_err err = {0};
    const char *ev = vp_proto_str(msg, "ev"), *b64 = vp_proto_str(msg, "data");
    vp_proto_int(msg, "round", -1);
    if (ev && strcmp(ev, "error") == 0)
        FUZZ_CHECK(vp_proto_take_error(msg, &err) < 0 && err.msg[0]);
    char out[64];
    if (b64)
        FUZZ_CHECK(vp_proto_unb64(b64, out, sizeof out) <= (long)sizeof out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds[2];
    if (size > 65536) /* a pipe's room: written at once, then closed */
        return 0;
    FUZZ_CHECK(pipe(fds) == 0 && write(fds[1], data, size) == (ssize_t)size);
    close(fds[1]);
    struct vp_proto_reader r;
    struct vp_err err = {0};
    json_t *msg;
    int rc;
    vp_proto_reader_init(&r, fds[0]);
    while ((rc = vp_proto_recv(&r, -1, &msg, &err)) == 1) { /* the end comes: no wait */
        FUZZ_CHECK(json_is_object(msg));
        event(msg);
        json_decref(msg);
    }
    FUZZ_CHECK(rc == -EPIPE || rc == -EPROTO);
    vp_proto_reader_free(&r);
    close(fds[0]);
    return 0;
}
