#include "core/opt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "core/units.h"

const struct vp_opt *vp_opt_find(const struct vp_opt *opts, const char *name)
{
    for (const struct vp_opt *o = opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static bool has_range(const struct vp_opt *o)
{
    return o->min != 0 || o->max != 0;
}

/* A range bound in the option's own units, for messages. */
static void format_bound(const struct vp_opt *o, double v, char *buf, size_t len)
{
    if (o->type == VP_OPT_SIZE)
        vp_format_size((uint64_t)v, buf, len);
    else if (o->type == VP_OPT_DURATION)
        vp_format_duration((uint64_t)v, buf, len);
    else if (o->type == VP_OPT_COUNT)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%g", v);
}

static int check_range(const struct vp_opt *o, double v, const char *text, struct vp_err *err)
{
    if (!has_range(o) || (v >= o->min && v <= o->max))
        return 0;
    char lo[64], hi[64];
    format_bound(o, o->min, lo, sizeof lo);
    format_bound(o, o->max, hi, sizeof hi);
    return vp_input_error(err, "--%s %s: out of range (%s to %s)", o->name, text, lo, hi);
}

static int set_value(const struct vp_opt *o, void *base, const char *v, struct vp_err *err)
{
    char *field = (char *)base + o->offset;
    char *end;
    int rc;

    switch (o->type) {
    case VP_OPT_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
            *(bool *)field = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
            *(bool *)field = false;
        else
            return vp_input_error(err, "--%s %s: expected true or false", o->name, v);
        return 0;
    case VP_OPT_INT: {
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno == ERANGE)
            return vp_input_error(err, "--%s %s: not a whole number", o->name, v);
        if ((rc = check_range(o, (double)n, v, err)) < 0)
            return rc;
        *(int64_t *)field = n;
        return 0;
    }
    case VP_OPT_SIZE:
    case VP_OPT_COUNT:
    case VP_OPT_DURATION: {
        uint64_t n;
        bool duration = o->type == VP_OPT_DURATION;
        rc = duration ? vp_parse_duration_ns(v, &n) : vp_parse_size(v, &n);
        if (rc == -ERANGE)
            return vp_input_error(err, "--%s %s: too large", o->name, v);
        if (rc < 0)
            return vp_input_error(err, "--%s %s: not a %s (try %s)", o->name, v,
                                  duration                  ? "duration"
                                  : o->type == VP_OPT_COUNT ? "count"
                                                            : "size",
                                  duration                  ? "500ms or 2s"
                                  : o->type == VP_OPT_COUNT ? "1000, 16k or 1M"
                                                            : "4M, 512k or 2GiB");
        if ((rc = check_range(o, (double)n, v, err)) < 0)
            return rc;
        *(uint64_t *)field = n;
        return 0;
    }
    case VP_OPT_DOUBLE: {
        errno = 0;
        double d = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || errno == ERANGE || d != d)
            return vp_input_error(err, "--%s %s: not a number", o->name, v);
        if ((rc = check_range(o, d, v, err)) < 0)
            return rc;
        *(double *)field = d;
        return 0;
    }
    case VP_OPT_STRING:
        if (strlen(v) >= VP_STR_MAX)
            return vp_input_error(err, "--%s: value longer than %d characters", o->name,
                                  VP_STR_MAX - 1);
        strcpy(field, v);
        return 0;
    case VP_OPT_PATH:
    case VP_OPT_OUTPUT:
        if ((rc = vp_path_absolute(v, field, VP_STR_MAX)) < 0)
            return rc == -ENAMETOOLONG
                       ? vp_input_error(err, "--%s %s: longer than %d characters made absolute",
                                        o->name, v, VP_STR_MAX - 1)
                       : vp_run_error(err, -rc, "--%s %s: working directory", o->name, v);
        return 0;
    case VP_OPT_ENUM:
        for (int i = 0; o->choices[i]; i++) {
            if (strcmp(o->choices[i], v) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        {
            char list[256] = "";
            for (int i = 0; o->choices[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, o->choices[i], sizeof list - strlen(list) - 1);
            }
            return vp_input_error(err, "--%s %s: expected one of %s", o->name, v, list);
        }
    }
    return vp_input_error(err, "--%s: option of unknown type", o->name);
}

int vp_opt_defaults(const struct vp_opt *opts, void *base, struct vp_err *err)
{
    for (const struct vp_opt *o = opts; o && o->name; o++) {
        int rc;
        if (o->def == NULL) {
            char *field = (char *)base + o->offset;
            switch (o->type) {
            case VP_OPT_BOOL:
                *(bool *)field = false;
                break;
            case VP_OPT_INT:
                *(int64_t *)field = 0;
                break;
            case VP_OPT_SIZE:
            case VP_OPT_COUNT:
            case VP_OPT_DURATION:
                *(uint64_t *)field = 0;
                break;
            case VP_OPT_DOUBLE:
                *(double *)field = 0;
                break;
            case VP_OPT_STRING:
            case VP_OPT_PATH:
            case VP_OPT_OUTPUT:
                field[0] = '\0';
                break;
            case VP_OPT_ENUM:
                *(int *)field = 0;
                break;
            }
        } else if ((rc = set_value(o, base, o->def, err)) < 0) {
            return rc;
        }
    }
    return 0;
}

int vp_opt_set(const struct vp_opt *opts, void *base, const char *name, const char *value,
               struct vp_err *err)
{
    const struct vp_opt *o = vp_opt_find(opts, name);
    if (o == NULL) {
        vp_input_error(err, "unknown option --%s", name);
        return -ENOENT;
    }
    return set_value(o, base, value, err);
}

int vp_opt_apply_list(const struct vp_opt *opts, void *base, const char *list, struct vp_err *err)
{
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        return vp_input_error(err, "option list too long");
    strcpy(buf, list);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq == NULL)
            return vp_input_error(err, "\"%s\": expected name=value", item);
        *eq = '\0';
        int rc = vp_opt_set(opts, base, item, eq + 1, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Find which set knows the option name; NULL when none does. */
static const struct vp_optset *find_set(const struct vp_optset *sets, int nsets, const char *name,
                                        const struct vp_opt **opt)
{
    for (int i = 0; i < nsets; i++) {
        *opt = vp_opt_find(sets[i].opts, name);
        if (*opt)
            return &sets[i];
    }
    return NULL;
}

int vp_opt_parse_argv(const struct vp_optset *sets, int nsets, int argc, char **argv, char **pos,
                      int maxpos, int *npos, struct vp_err *err)
{
    bool only_positional = false;
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (*npos >= maxpos)
                return vp_input_error(err, "unexpected argument \"%s\"", arg);
            pos[(*npos)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (arg[1] != '-')
            return vp_input_error(err, "unknown option %s (options are spelled --name)", arg);

        char name[128];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        if (len == 0 || len >= sizeof name)
            return vp_input_error(err, "malformed option %s", arg);
        memcpy(name, arg + 2, len);
        name[len] = '\0';

        const struct vp_opt *o;
        const struct vp_optset *set = find_set(sets, nsets, name, &o);
        if (set == NULL)
            return vp_input_error(err, "unknown option --%s", name);
        if (eq)
            value = eq + 1;
        else if (o->type == VP_OPT_BOOL)
            value = "true";
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return vp_input_error(err, "--%s needs a value", name);
        int rc = set_value(o, set->base, value, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void vp_opt_format(const struct vp_opt *o, const void *base, char *buf, size_t len)
{
    const char *field = (const char *)base + o->offset;
    switch (o->type) {
    case VP_OPT_BOOL:
        snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false");
        break;
    case VP_OPT_INT:
        snprintf(buf, len, "%" PRId64, *(const int64_t *)field);
        break;
    case VP_OPT_SIZE:
    case VP_OPT_COUNT:
    case VP_OPT_DURATION:
        snprintf(buf, len, "%" PRIu64 "%s", *(const uint64_t *)field,
                 o->type == VP_OPT_DURATION ? "ns" : "");
        break;
    case VP_OPT_DOUBLE:
        /* the short form when it reads back exactly, else all 17 digits */
        snprintf(buf, len, "%.15g", *(const double *)field);
        if (strtod(buf, NULL) != *(const double *)field)
            snprintf(buf, len, "%.17g", *(const double *)field);
        break;
    case VP_OPT_STRING:
    case VP_OPT_PATH:
    case VP_OPT_OUTPUT:
        snprintf(buf, len, "%s", field);
        break;
    case VP_OPT_ENUM:
        snprintf(buf, len, "%s", o->choices[*(const int *)field]);
        break;
    }
}

static const char *metavar(const struct vp_opt *o)
{
    switch (o->type) {
    case VP_OPT_BOOL:
        return "";
    case VP_OPT_INT:
        return " N";
    case VP_OPT_SIZE:
        return " SIZE";
    case VP_OPT_COUNT:
        return " N";
    case VP_OPT_DURATION:
        return " TIME";
    case VP_OPT_DOUBLE:
        return " X";
    case VP_OPT_STRING:
        return " TEXT";
    case VP_OPT_PATH:
    case VP_OPT_OUTPUT:
        return " PATH";
    case VP_OPT_ENUM:
        return " WORD";
    }
    return "";
}

void vp_opt_print_help(FILE *out, const struct vp_opt *opts)
{
    for (const struct vp_opt *o = opts; o && o->name; o++) {
        if (o->hidden)
            continue;
        char head[64];
        snprintf(head, sizeof head, "--%s%s", o->name, metavar(o));
        fprintf(out, "  %-22s %s", head, o->help ? o->help : "");
        if (o->type == VP_OPT_ENUM) {
            fputs(" (", out);
            for (int i = 0; o->choices[i]; i++)
                fprintf(out, "%s%s", i ? " | " : "", o->choices[i]);
            fputc(')', out);
        }
        if (o->def && o->type != VP_OPT_BOOL)
            fprintf(out, " [default %s]", o->def);
        fputc('\n', out);
    }
}
