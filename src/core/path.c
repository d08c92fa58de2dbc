#include "core/path.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vp_path_absolute(const char *in, char *out, size_t len)
{
    char cwd[PATH_MAX], rel[PATH_MAX];
    if (in[0] == '/' || in[0] == '\0' || strcmp(in, "-") == 0 || strstr(in, "://")) {
        if (strlen(in) >= len)
            return -ENAMETOOLONG;
        memmove(out, in, strlen(in) + 1);
        return 0;
    }
    if (getcwd(cwd, sizeof cwd) == NULL)
        return -errno;
    /* "./a/./b" and "." as "a/b" and "" */
    size_t n = 0;
    for (const char *p = in; *p;) {
        size_t seg = strcspn(p, "/");
        if (!(seg == 1 && p[0] == '.') && seg > 0) {
            if (n + seg + 2 > sizeof rel)
                return -ENAMETOOLONG;
            if (n > 0)
                rel[n++] = '/';
            memcpy(rel + n, p, seg);
            n += seg;
        }
        p += seg;
        while (*p == '/')
            p++;
    }
    rel[n] = '\0';
    bool root = strcmp(cwd, "/") == 0;
    int w = snprintf(out, len, "%s%s%s", root ? "" : cwd, n > 0 || root ? "/" : "", rel);
    if (w < 0 || (size_t)w >= len)
        return -ENAMETOOLONG;
    return 0;
}

const char *vp_path_self(void)
{
    const char *relay = getenv("VIRTPERF_RELAY");
    return relay && relay[0] ? relay : "/proc/self/exe";
}
