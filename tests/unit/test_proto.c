/* The guest agent's protocol (guest/proto.c): error events as the host
 * reads them. */
#include "check.h"
#include "guest/proto.h"

static void expect(const char *line, int kind, const char *msg)
{
    struct vp_err err = {0};
    json_t *j = json_loads(line, 0, NULL);
    CHECK(j != NULL);
    CHECK(vp_proto_take_error(j, &err) < 0);
    CHECK_INT(err.kind, kind);
    CHECK_STR(err.msg, msg);
    json_decref(j);
}

/* Regression (the fuzz target's find): an empty message made an error that
 * printed as nothing. */
static void test_error_events(void)
{
    expect("{\"ev\":\"error\",\"input\":true,\"message\":\"unknown workload\"}", VP_ERR_INPUT,
           "unknown workload");
    expect("{\"ev\":\"error\",\"input\":false,\"message\":\"disk full\"}", VP_ERR_RUN, "disk full");
    expect("{\"ev\":\"error\",\"input\":true,\"message\":\"\"}", VP_ERR_INPUT,
           "the guest's error event gave no message");
    expect("{\"ev\":\"error\",\"message\":7}", VP_ERR_RUN,
           "the guest's error event gave no message");
}

int main(void)
{
    RUN(test_error_events);
    return CHECK_DONE();
}
