#include "platform/guest_image.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fds.h"
#include "guest/proto.h"
#include "vp_config.h"

#define PROBE_TIMEOUT_NS 10000000000ull /* KVM boots this guest in well under 1 s */

const char *const vp_accel_names[] = {"auto", "kvm", "tcg", NULL};

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog);
        if (access(buf, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* virtperf-guest: $VIRTPERF_GUEST_AGENT, else beside this binary. */
static void agent_path(char *out, size_t len)
{
    const char *env = getenv("VIRTPERF_GUEST_AGENT");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    snprintf(out, len, "%.*s/virtperf-guest", slash ? (int)(slash - self) : 1, self);
}

static void script_path(char *out, size_t len)
{
    snprintf(out, len, "%s/scripts/guest-image", VP_SOURCE_ROOT);
}

const char *vp_guest_image_missing(void)
{
    char path[PATH_MAX];
    if (!in_path(VP_QEMU))
        return VP_QEMU " is not installed (Debian package qemu-system-x86)";
    agent_path(path, sizeof path);
    if (access(path, X_OK) != 0)
        return "no virtperf-guest beside virtperf (built with it; or set VIRTPERF_GUEST_AGENT)";
    script_path(path, sizeof path);
    if (access(path, X_OK) != 0)
        return "scripts/guest-image is missing from the source tree";
    if (access("/bin/busybox", X_OK) != 0)
        return "no /bin/busybox (Debian package busybox-static)";
    glob_t g;
    bool kernel = glob("/boot/vmlinuz-*", 0, NULL, &g) == 0;
    globfree(&g);
    if (!kernel)
        return "no kernel in /boot (Debian package linux-image-cloud-amd64)";
    return NULL;
}

/* Run argv, its stdout into out (at most len - 1 bytes), its stderr's
 * last line into why; returns the exit status, or -errno. */
static int run_capture(char *const argv[], char *out, size_t len, char *why, size_t whylen)
{
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(e, O_CLOEXEC) < 0) {
        close(o[0]);
        close(o[1]);
        return -errno;
    }
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(o[1], 1);
        dup2(e[1], 2);
        vp_fds_close_from(3);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    size_t n = 0, m = 0;
    char errbuf[1024];
    struct pollfd p[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
    while (pid > 0 && (p[0].fd >= 0 || p[1].fd >= 0)) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char *dst = i == 0 ? out + n : errbuf + m;
            size_t room = i == 0 ? len - 1 - n : sizeof errbuf - 1 - m;
            char sink[512];
            ssize_t got = read(p[i].fd, room ? dst : sink, room ? room : sizeof sink);
            if (got <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
            } else if (room) {
                *(i == 0 ? &n : &m) += (size_t)got;
            }
        }
    }
    out[n] = '\0';
    errbuf[m] = '\0';
    while (m > 0 && errbuf[m - 1] == '\n')
        errbuf[--m] = '\0';
    const char *last = strrchr(errbuf, '\n');
    snprintf(why, whylen, "%s", last ? last + 1 : errbuf);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return pid < 0 ? -EAGAIN : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int vp_guest_image_get(struct vp_guest_image *img, struct vp_err *err)
{
    /* found once per process: the image is named by its inputs' hash, so
     * the one found stays right for this binary (validating every point of
     * a large experiment would otherwise hash the inputs every time) */
    static struct vp_guest_image found;
    if (found.dir[0]) {
        *img = found;
        return 0;
    }
    char script[PATH_MAX], agent[PATH_MAX], out[PATH_MAX + 2], why[512];
    const char *missing = vp_guest_image_missing();
    if (missing)
        return vp_input_error(err, "platform vm: %s", missing);
    script_path(script, sizeof script);
    agent_path(agent, sizeof agent);
    char *argv[] = {script, "--agent", agent, NULL};
    int rc = run_capture(argv, out, sizeof out, why, sizeof why);
    if (rc != 0)
        return rc == 2 ? vp_input_error(err, "%s", why[0] ? why : "guest-image: failed")
                       : vp_run_error(err, rc < 0 ? -rc : 0, "guest image: %s",
                                      why[0] ? why : "scripts/guest-image failed");
    out[strcspn(out, "\n")] = '\0';
    snprintf(img->dir, sizeof img->dir, "%s", out);
    snprintf(img->kernel, sizeof img->kernel, "%s/vmlinuz", img->dir);
    snprintf(img->initrd, sizeof img->initrd, "%s/initramfs.img", img->dir);
    if (access(img->kernel, R_OK) != 0 || access(img->initrd, R_OK) != 0)
        return vp_run_error(err, 0, "guest image %s is incomplete", img->dir);
    found = *img;
    return 0;
}

const char *vp_accel_qemu_arg(enum vp_accel a)
{
    return a == VP_ACCEL_KVM ? "kvm" : "tcg,thread=multi";
}

/* Why /dev/kvm cannot run a VM at all, or NULL. */
static const char *kvm_device_unusable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? "no /dev/kvm" : "/dev/kvm cannot be opened";
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    return version == KVM_API_VERSION ? NULL : "/dev/kvm speaks another API version";
}

/* Boot the image under KVM and wait for the guest's ready line. */
static bool kvm_boots(const struct vp_guest_image *img)
{
    int o[2];
    if (pipe2(o, O_CLOEXEC) < 0)
        return false;
    char *argv[] = {VP_QEMU,
                    "-accel",
                    "kvm",
                    "-cpu",
                    "host",
                    "-m",
                    "128",
                    "-smp",
                    "1",
                    "-nodefaults",
                    "-no-user-config",
                    "-nographic",
                    "-no-reboot",
                    "-serial",
                    "stdio",
                    "-kernel",
                    (char *)img->kernel,
                    "-initrd",
                    (char *)img->initrd,
                    "-append",
                    "console=ttyS0 panic=-1 quiet",
                    NULL};
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(o[1], 1);
        dup2(null, 2);
        vp_fds_close_from(3);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(o[1]);
    char buf[8192];
    size_t n = 0;
    bool ready = false;
    uint64_t deadline = vp_now_ns() + PROBE_TIMEOUT_NS;
    while (pid > 0 && !ready && vp_now_ns() < deadline) {
        struct pollfd p = {o[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t got = read(o[0], buf + n, sizeof buf - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        buf[n] = '\0';
        ready = strstr(buf, VP_GUEST_READY_LINE) != NULL;
        if (n > sizeof buf / 2) { /* keep the tail, where the line will be */
            memmove(buf, buf + n - 256, 256);
            n = 256;
        }
    }
    close(o[0]);
    if (pid > 0) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    return ready;
}

/* The cached verdict's file: per image, QEMU binary and host boot (the
 * boot id: a machine of the same kernel but another CPU or nested mode,
 * or one rebooted with other KVM module options, is probed anew). */
static void verdict_path(const struct vp_guest_image *img, char *out, size_t len)
{
    struct stat st = {0};
    char qemu[PATH_MAX], boot[80] = "";
    snprintf(qemu, sizeof qemu, "/usr/bin/%s", VP_QEMU);
    stat(qemu, &st);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(boot, sizeof boot, f))
            boot[0] = '\0';
        boot[strcspn(boot, "\n")] = '\0';
        fclose(f);
    }
    if (boot[0] == '\0') { /* no boot id: the kernel's release at least */
        struct utsname u;
        snprintf(boot, sizeof boot, "%s", uname(&u) == 0 ? u.release : "unknown");
    }
    snprintf(out, len, "%s/accel-%s-%lld-%lld", img->dir, boot, (long long)st.st_size,
             (long long)st.st_mtime);
}

/* Drop the verdicts of earlier boots beside the one at keep. */
static void forget_old_verdicts(const struct vp_guest_image *img, const char *keep)
{
    char pattern[PATH_MAX];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/accel-*", img->dir);
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        if (strcmp(g.gl_pathv[i], keep) != 0)
            unlink(g.gl_pathv[i]);
    globfree(&g);
}

/* Whether KVM runs this guest; why not in why. */
static bool kvm_works(const struct vp_guest_image *img, char *why, size_t len)
{
    const char *dev = kvm_device_unusable();
    if (dev) {
        snprintf(why, len, "%s", dev);
        return false;
    }
    char path[PATH_MAX + 128], line[256] = "";
    verdict_path(img, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    if (line[0] == '\0') {
        bool ok = kvm_boots(img);
        snprintf(line, sizeof line, "%s",
                 ok ? "kvm\n" : "tcg /dev/kvm is there but a guest does not boot under it\n");
        char tmp[PATH_MAX + 160];
        snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
        if ((f = fopen(tmp, "w")) != NULL) {
            fputs(line, f);
            if (fclose(f) == 0 && rename(tmp, path) == 0)
                forget_old_verdicts(img, path);
            else
                unlink(tmp);
        }
    }
    line[strcspn(line, "\n")] = '\0';
    if (strcmp(line, "kvm") == 0)
        return true;
    snprintf(why, len, "%s", strncmp(line, "tcg ", 4) == 0 ? line + 4 : line);
    return false;
}

int vp_accel_resolve(const struct vp_guest_image *img, enum vp_accel asked, enum vp_accel *used,
                     struct vp_err *err)
{
    char why[256];
    if (asked == VP_ACCEL_TCG) {
        *used = VP_ACCEL_TCG;
        return 0;
    }
    bool kvm = kvm_works(img, why, sizeof why);
    if (asked == VP_ACCEL_KVM && !kvm)
        return vp_input_error(err, "accel kvm: %s (use accel: tcg or auto)", why);
    *used = kvm ? VP_ACCEL_KVM : VP_ACCEL_TCG;
    return 0;
}
