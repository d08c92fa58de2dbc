/* Network namespaces for tests, the test's own: each made by a thread that
 * unshares (the process's namespace is untouched) and held by a file
 * descriptor, so the namespace and every link in it go when the test
 * closes it or exits, whatever happened. Commands run inside with sh. */
#ifndef VP_TESTS_NETNS_UTIL_H
#define VP_TESTS_NETNS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *ns_new_thread(void *arg)
{
    int *fd = arg;
    *fd = unshare(CLONE_NEWNET) < 0 ? -errno : open("/proc/thread-self/ns/net", O_RDONLY);
    return NULL;
}

/* A new network namespace: its fd, or -errno. */
static int ns_new(void)
{
    pthread_t t;
    int fd = -EIO;
    if (pthread_create(&t, NULL, ns_new_thread, &fd) != 0)
        return -EAGAIN;
    pthread_join(t, NULL);
    return fd;
}

/* The path `ip ... netns PATH` takes for namespace fd. */
static const char *ns_path(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/%d/fd/%d", (int)getpid(), fd);
    return buf;
}

/* Run sh -ec CMD inside namespace fd; its exit status (-1: not run). */
__attribute__((format(printf, 2, 3))) static int ns_sh(int fd, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    pid_t pid = fork();
    if (pid == 0) {
        if (setns(fd, CLONE_NEWNET) < 0)
            _exit(126);
        execl("/bin/sh", "sh", "-ec", cmd, (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "in namespace: `%s` failed (status %d)\n", cmd, st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run fn(arg) with the calling thread inside namespace fd, then back. */
static int ns_call(int fd, void (*fn)(void *), void *arg)
{
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0 || setns(fd, CLONE_NEWNET) < 0) {
        if (home >= 0)
            close(home);
        return -errno;
    }
    fn(arg);
    int rc = setns(home, CLONE_NEWNET) < 0 ? -errno : 0;
    close(home);
    return rc;
}

#endif
