/* The journal's line format and a replay's guards (platform/journal.h,
 * platform/res_guard.h): what a damaged or forged line cannot get past. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "platform/journal.h"
#include "platform/resources.h"

/* Check text framed as virtperf writes it, then altered by mangle. */
static const char *check_framed(const char *text, const char *tail, int flip)
{
    static char buf[1024];
    char *out;
    int n = snprintf(buf, sizeof buf, "%08lx %s%s",
                     crc32(0L, (const Bytef *)text, (uInt)strlen(text)), text, tail);
    if (flip >= 0)
        buf[flip] ^= 1;
    return vp_journal_line_check(buf, (size_t)n, &out);
}

static void test_lines(void)
{
    char line[] = "3a1c6b8b + 0 dir /x\n";
    char *text = NULL;
    const char *why = check_framed("+ 0 dir /x", "\n", -1);
    CHECK(why == NULL);
    CHECK(check_framed("+ 0 dir /x", "", -1) != NULL);               /* torn */
    CHECK(check_framed("+ 0 dir /x", "\n", 12) != NULL);             /* a bit flipped */
    CHECK(check_framed("+ 0 dir /x", "\n", 0) != NULL);              /* in the checksum */
    CHECK(vp_journal_line_check(line, strlen(line), &text) != NULL); /* wrong sum */
    char bare[] = "+ 0 dir /x\n";
    CHECK(vp_journal_line_check(bare, strlen(bare), &text) != NULL);
    char nul[] = "00000000 a\0b\n";
    CHECK(vp_journal_line_check(nul, sizeof nul - 1, &text) != NULL);
    CHECK(vp_journal_line_check(line, 0, &text) != NULL);
}

static void test_guards(void)
{
    struct vp_res_owner o = {"4242", 1000};
    char dir[] = "/var/tmp/vp-guard-test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], link[256];
    snprintf(path, sizeof path, "%s/virtperf-zfg.AbC123", dir);
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) == NULL);
    CHECK(vp_res_guard(VP_RES_DIR, "/etc", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_DIR, "relative/virtperf-zfg.AbC123", &o) != NULL);
    snprintf(path, sizeof path, "%s/../virtperf-zfg.AbC123", dir);
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) != NULL);
    snprintf(path, sizeof path, "%s/virtperf-zfg.AbC12", dir); /* not mkdtemp's 6 */
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) != NULL);
    snprintf(link, sizeof link, "%s/l", dir);
    CHECK_INT(symlink("/", link), 0);
    snprintf(path, sizeof path, "%s/l/virtperf-zfg.AbC123", dir);
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) != NULL);
    snprintf(path, sizeof path, "%s/virtperf-zfg.AbC123/f", dir);
    CHECK(vp_res_guard(VP_RES_FILE, path, &o) == NULL);
    CHECK(vp_res_guard(VP_RES_FILE, "/etc/passwd", &o) != NULL);
    unlink(link);
    rmdir(dir);

    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf/4242/a1", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/memory/u.slice/virtperf/4242", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf/4243", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf-x", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/virtperf", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf/4242/../../x", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/etc/virtperf/4242", &o) != NULL);

    const char *ok[] = {"vpbr4242", "vpd4242", "vpm4242", "vp4242r0", "vp4242b12", "vp4242t3"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK(vp_res_guard(VP_RES_LINK, ok[i], &o) == NULL);
    const char *bad[] = {"eth0", "lo", "vpbr4243", "vp4243r0", "vp4242", "vp4242r", "vpbr42420"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(vp_res_guard(VP_RES_LINK, bad[i], &o) != NULL);

    CHECK(vp_res_guard(VP_RES_PROC, "77 1000", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_PROC, "77 999", &o) != NULL); /* older than the run */
    CHECK(vp_res_guard(VP_RES_NETNS, "1 5000", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_PROC, "77 5000 x", &o) != NULL);
    CHECK(vp_res_guard(VP_RES_DOMAIN, "qemu:///system vp-4242-a", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_DOMAIN, "qemu:///system prod-db", &o) != NULL);
}

/* A run with an id: only names carrying that id are its own. */
static void test_guards_id(void)
{
    struct vp_res_owner o = {"k3x9a0zq", 1000};
    char dir[] = "/var/tmp/vp-guard-test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/virtperf-k3x9a0zq-zfg.AbC123", dir);
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) == NULL);
    snprintf(path, sizeof path, "%s/virtperf-k3x9a0zq-zfg.AbC123/f", dir);
    CHECK(vp_res_guard(VP_RES_FILE, path, &o) == NULL);
    snprintf(path, sizeof path, "%s/virtperf-b7y2c4dd-zfg.AbC123", dir); /* another run's */
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) != NULL);
    snprintf(path, sizeof path, "%s/virtperf-b7y2c4dd-zfg.AbC123/f", dir);
    CHECK(vp_res_guard(VP_RES_FILE, path, &o) != NULL);
    snprintf(path, sizeof path, "%s/virtperf-zfg.AbC123", dir); /* no id: not a run with one */
    CHECK(vp_res_guard(VP_RES_DIR, path, &o) != NULL);
    struct vp_res_owner old = {"4242", 1000}; /* and an old run never takes an id's */
    snprintf(path, sizeof path, "%s/virtperf-k3x9a0zq-zfg.AbC123", dir);
    CHECK(vp_res_guard(VP_RES_DIR, path, &old) != NULL);
    rmdir(dir);

    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf/k3x9a0zq/a1", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_CGROUP, "/sys/fs/cgroup/cpu/virtperf/b7y2c4dd/a1", &o) != NULL);
    const char *ok[] = {"vpk3x9a0zqbr",   "vpk3x9a0zqd",  "vpk3x9a0zqm",  "vpk3x9a0zqr0",
                        "vpk3x9a0zqb252", "vpk3x9a0zqt3", "vpk3x9a0zqv12"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK(strlen(ok[i]) <= 15); /* IFNAMSIZ - 1 */
        CHECK(vp_res_guard(VP_RES_LINK, ok[i], &o) == NULL);
    }
    const char *bad[] = {"vpbrk3x9a0zq", "vpk3x9a0zq",  "vpk3x9a0zqbx",
                         "vpb7y2c4ddbr", "vpk3x9a0zqr", "vpk3x9a0zqR1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(vp_res_guard(VP_RES_LINK, bad[i], &o) != NULL);
    CHECK(vp_res_guard(VP_RES_DOMAIN, "qemu:///system vp-k3x9a0zq-a", &o) == NULL);
    CHECK(vp_res_guard(VP_RES_DOMAIN, "qemu:///system vp-b7y2c4dd-a", &o) != NULL);

    CHECK(vp_journal_id_valid("k3x9a0zq"));
    CHECK(!vp_journal_id_valid("3kx9a0zq")); /* a letter first */
    CHECK(!vp_journal_id_valid("k3x9a0z"));
    CHECK(!vp_journal_id_valid("k3x9a0zqq"));
    CHECK(!vp_journal_id_valid("K3x9a0zq"));
    CHECK(!vp_journal_id_valid("4242"));
}

/* Leases live in the journal folder and hold their run's id. */
static void test_guard_lease(void)
{
    char dir[] = "/var/tmp/vp-lease-test.XXXXXX", path[300];
    CHECK(mkdtemp(dir) != NULL);
    setenv("VIRTPERF_RUNDIR", dir, 1);
    struct vp_res_owner o = {"k3x9a0zq", 1000};
    snprintf(path, sizeof path, "%s/subnet-7.lease", dir);
    CHECK(vp_res_guard(VP_RES_LEASE, path, &o) == NULL); /* not there: "already gone" */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("k3x9a0zq\n", f);
    fclose(f);
    CHECK(vp_res_guard(VP_RES_LEASE, path, &o) == NULL);
    struct vp_res_owner other = {"b7y2c4dd", 1000};
    CHECK(vp_res_guard(VP_RES_LEASE, path, &other) != NULL); /* taken over since */
    CHECK(vp_res_guard(VP_RES_LEASE, "/etc/subnet-7.lease", &o) != NULL);
    snprintf(path, sizeof path, "%s/passwd", dir);
    CHECK(vp_res_guard(VP_RES_LEASE, path, &o) != NULL);
    snprintf(path, sizeof path, "%s/subnet-7.lease", dir);
    unlink(path);
    unsetenv("VIRTPERF_RUNDIR");
    rmdir(dir);
}

int main(void)
{
    RUN(test_lines);
    RUN(test_guards);
    RUN(test_guards_id);
    RUN(test_guard_lease);
    return CHECK_DONE();
}
