#include "guest/console.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

#define TAIL_BYTES 8192
#define PANIC      "Kernel panic - not syncing"

void vp_console_tail(const char *path, char *out, size_t len)
{
    char log[512];
    const char *slash = strrchr(path, '/');
    snprintf(log, sizeof log, "%.*s/console.log", slash ? (int)(slash - path) : 1,
             slash ? path : ".");
    vp_file_tail(log, out, len);
}

/* Drop what a terminal would not show: escape sequences (the firmware's
 * screen clearing), carriage returns, other control characters. */
static size_t printable(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x1b) { /* ESC [ ... final byte, or ESC and one more */
            if (i + 1 < n && s[i + 1] == '[') {
                for (i += 2; i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e);
                     i++)
                    ;
            } else {
                i++;
            }
            continue;
        }
        if (c == ' ' && o > 0 && (s[o - 1] == ' ' || s[o - 1] == '\n'))
            continue; /* the firmware's blank screen, squeezed */
        if (c == '\n' && (o == 0 || s[o - 1] == '\n'))
            continue; /* and its empty lines */
        if (c == '\n' || c >= 0x20)
            s[o++] = (char)c;
    }
    s[o] = '\0';
    return o;
}

void vp_file_tail(const char *file, char *out, size_t len)
{
    char buf[TAIL_BYTES + 1];
    if (len == 0)
        return;
    out[0] = '\0';
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    fseek(f, size > TAIL_BYTES ? size - TAIL_BYTES : 0, SEEK_SET);
    size_t n = printable(buf, fread(buf, 1, TAIL_BYTES, f));
    fclose(f);
    /* a panic says why on one line: that line, whatever followed it */
    const char *panic = strstr(buf, PANIC);
    if (panic) {
        snprintf(out, len, "%.*s", (int)strcspn(panic, "\n"), panic);
        return;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    /* else the last lines on one line (" | " between them), as much of
     * their end as fits: the last line says most */
    char joined[3 * TAIL_BYTES + 1];
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            memcpy(joined + j, " | ", 3);
            j += 3;
        } else {
            joined[j++] = buf[i];
        }
    }
    size_t keep = j < len - 1 ? j : len - 1;
    memcpy(out, joined + j - keep, keep);
    out[keep] = '\0';
}

int vp_guest_error(struct vp_err *err, int errnum, const char *path, const char *what)
{
    char tail[300], log[512];
    const char *slash = strrchr(path, '/');
    vp_console_tail(path, tail, sizeof tail);
    if (tail[0] == '\0') { /* QEMU's own complaint, when the guest said nothing */
        snprintf(log, sizeof log, "%.*s/qemu.log", slash ? (int)(slash - path) : 1,
                 slash ? path : ".");
        vp_file_tail(log, tail, sizeof tail);
    }
    return vp_run_error(err, errnum, "%s%s%s", what, tail[0] ? "; console: " : "", tail);
}
