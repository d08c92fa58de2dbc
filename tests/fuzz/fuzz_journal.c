/* The state journal's text (platform/journal.c) read as `virtperf cleanup`
 * replays it, acting on nothing: any bytes give refusals with a reason, and
 * every entry that passes its guard names what virtperf makes (a path kind:
 * absolute, without "." or ".." components). */
#include <errno.h>

#include "fuzz.h"
#include "platform/journal.h"

struct seen {
    int refused_failures;
};

static void refused(void *arg, const char *file, int line, const char *what, const char *reason,
                    bool failure)
{
    struct seen *s = arg;
    FUZZ_CHECK(file && line >= 0 && reason && reason[0]);
    FUZZ_CHECK(what == NULL || strlen(what) < 512);
    s->refused_failures += failure;
}

/* Absolute, and no component empty, "." or "..". */
static bool plain_path(const char *p)
{
    if (*p != '/')
        return false;
    for (const char *c = p + 1;; c++) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n;
        if (*c == '\0')
            return true;
    }
}

static void entry(void *arg, enum vp_res kind, const char *what, int result)
{
    (void)arg;
    FUZZ_CHECK(result == 0 && strcmp(vp_res_name(kind), "?") != 0);
    FUZZ_CHECK(!vp_res_is_path(kind) || plain_path(what));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "r");
    if (f == NULL) /* size 0 */
        return 0;
    struct seen s = {0};
    const struct vp_sweep_fn fn = {NULL, entry, &s, refused};
    int rc = vp_journal_replay(f, "fuzz.journal", VP_REPLAY_GUARD_ONLY, &fn);
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ENOMEM);
    FUZZ_CHECK(rc != 1 || s.refused_failures == 0);
    fclose(f);
    return 0;
}
