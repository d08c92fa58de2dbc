/* The build workload's generated C project (build_tree.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prng.h"
#include "workload/build_tree.h"

#define INCLUDES 3 /* shared headers per unit (fewer when the tree has fewer) */
#define OPS      4 /* inline helpers per shared header */

/* One file being written: in memory first, its lines counted, then to disk. */
struct src {
    char *text;
    size_t len;
    FILE *f;
};

static int src_open(struct src *s)
{
    memset(s, 0, sizeof *s);
    s->f = open_memstream(&s->text, &s->len);
    return s->f ? 0 : -errno;
}

static void emit(struct src *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->f, fmt, ap);
    va_end(ap);
}

/* Close s into dir/name, adding its lines to *lines. */
static int src_save(struct src *s, const char *dir, const char *name, uint64_t *lines,
                    struct vp_err *err)
{
    int rc = fclose(s->f) == 0 ? 0 : -ENOMEM;
    s->f = NULL;
    if (rc < 0) {
        free(s->text);
        return vp_run_error(err, ENOMEM, "build tree: %s", name);
    }
    for (size_t i = 0; i < s->len; i++)
        *lines += s->text[i] == '\n';
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "we");
    if (f == NULL || fwrite(s->text, 1, s->len, f) != s->len || fclose(f) != 0) {
        rc = vp_run_error(err, errno ? errno : EIO, "build tree: %s", path);
        if (f)
            fclose(f);
    }
    free(s->text);
    return rc;
}

/* What a file's writer needs: the tree, the generator's state, which file. */
struct gen {
    const struct vp_build_tree *t;
    uint64_t *rng;
    uint64_t index; /* of the header or unit */
};

static uint32_t pick(uint64_t *rng, uint64_t n)
{
    return (uint32_t)(vp_prng_next(rng) % n);
}

static void write_common(struct src *s, const struct gen *g)
{
    (void)g;
    emit(s, "#ifndef COMMON_H\n#define COMMON_H\n#include <stdint.h>\n\n");
    emit(s, "#define ROTL(x, r) (((x) << (r)) | ((x) >> (32 - (r))))\n\n");
    emit(s, "static inline uint32_t mix(uint32_t x, uint32_t k)\n{\n");
    emit(s, "    x ^= k;\n    x *= 0x9e3779b1u;\n    return ROTL(x, 13) ^ (x >> 7);\n}\n\n");
    emit(s, "#endif\n");
}

/* hNNN.h: inline helpers op0..op3, a record type and a constant. */
static void write_header(struct src *s, const struct gen *g)
{
    uint64_t h = g->index, *rng = g->rng;
    static const char *const body[OPS] = {
        "return mix(x, 0x%08" PRIx32 "u) + ROTL(x, %u);",
        "return (x ^ 0x%08" PRIx32 "u) * %uu;",
        "return x + (x >> 3) + 0x%08" PRIx32 "u - %uu;",
        "return ROTL(x ^ 0x%08" PRIx32 "u, %u) ^ (x << 1);",
    };
    emit(s, "#ifndef H%03" PRIu64 "_H\n#define H%03" PRIu64 "_H\n#include \"common.h\"\n\n", h, h);
    for (int op = 0; op < OPS; op++) {
        emit(s, "static inline uint32_t h%03" PRIu64 "_op%d(uint32_t x)\n{\n    ", h, op);
        emit(s, body[op], (uint32_t)vp_prng_next(rng), 1 + pick(rng, 30));
        emit(s, "\n}\n\n");
    }
    emit(s, "struct h%03" PRIu64 "_rec {\n    uint32_t a[%u];\n    uint16_t b;\n};\n\n", h,
         2 + pick(rng, 14));
    emit(s, "#define H%03" PRIu64 "_K 0x%08" PRIx32 "u\n\n#endif\n", h,
         (uint32_t)vp_prng_next(rng));
}

static void write_decls(struct src *s, const struct gen *g)
{
    const struct vp_build_tree *t = g->t;
    emit(s, "#ifndef DECL_H\n#define DECL_H\n#include <stdint.h>\n\n");
    for (uint64_t u = 0; u < t->units; u++)
        for (uint64_t i = 0; i < t->funcs; i++)
            emit(s, "uint32_t u%04" PRIu64 "_f%" PRIu64 "(uint32_t x);\n", u, i);
    emit(s, "\n#endif\n");
}

/* Function i of unit u: a loop over the helpers of the unit's headers, a
 * switch, and a call to a function earlier in the project (so calls form a
 * DAG: the program ends, its chains about ln(functions) long). */
static void write_function(struct src *s, const struct vp_build_tree *t, uint64_t u, uint64_t i,
                           const uint64_t *inc, int ninc, uint64_t *rng)
{
    emit(s, "uint32_t u%04" PRIu64 "_f%" PRIu64 "(uint32_t x)\n{\n", u, i);
    emit(s, "    uint32_t a = x ^ 0x%08" PRIx32 "u, b = 0x%08" PRIx32 "u;\n",
         (uint32_t)vp_prng_next(rng), (uint32_t)vp_prng_next(rng));
    emit(s, "    for (unsigned i = 0; i < %uu; i++) {\n", 3 + pick(rng, 8));
    emit(s, "        a = mix(a, b + i);\n");
    emit(s, "        b = h%03" PRIu64 "_op%u(a) + (b << %u);\n", inc[pick(rng, (uint64_t)ninc)],
         pick(rng, OPS), 1 + pick(rng, 7));
    emit(s, "        if (a & %uu)\n            b ^= 0x%08" PRIx32 "u;\n", 1u << pick(rng, 4),
         (uint32_t)vp_prng_next(rng));
    emit(s, "        else\n            a += b >> %u;\n    }\n", 1 + pick(rng, 9));
    emit(s, "    switch (b %% 5u) {\n");
    emit(s, "    case 0:\n        a ^= 0x%08" PRIx32 "u;\n        break;\n",
         (uint32_t)vp_prng_next(rng));
    emit(s, "    case 1:\n        a += 0x%08" PRIx32 "u;\n        break;\n",
         (uint32_t)vp_prng_next(rng));
    emit(s, "    case 2:\n        a = ROTL(a, %u);\n        break;\n", 1 + pick(rng, 30));
    emit(s, "    default:\n        a -= b;\n        break;\n    }\n");
    uint64_t earlier = u * t->funcs + i;
    if (earlier == 0) {
        emit(s, "    return a ^ b;\n}\n\n");
        return;
    }
    uint64_t k = vp_prng_next(rng) % earlier;
    emit(s, "    return a ^ u%04" PRIu64 "_f%" PRIu64 "(b);\n}\n\n", k / t->funcs, k % t->funcs);
}

static void write_unit(struct src *s, const struct gen *g)
{
    const struct vp_build_tree *t = g->t;
    uint64_t u = g->index, *rng = g->rng;
    uint64_t inc[INCLUDES];
    int ninc = 0;
    while (ninc < INCLUDES && (uint64_t)ninc < t->headers) {
        uint64_t h = vp_prng_next(rng) % t->headers;
        bool seen = false;
        for (int k = 0; k < ninc; k++)
            seen |= inc[k] == h;
        if (!seen)
            inc[ninc++] = h;
    }
    emit(s, "/* unit %" PRIu64 " of %" PRIu64 " */\n#include \"common.h\"\n#include \"decl.h\"\n",
         u, t->units);
    for (int k = 0; k < ninc; k++)
        emit(s, "#include \"h%03" PRIu64 ".h\"\n", inc[k]);
    emit(s, "\n");
    for (uint64_t i = 0; i < t->funcs; i++)
        write_function(s, t, u, i, inc, ninc, rng);
}

static void write_main(struct src *s, const struct gen *g)
{
    const struct vp_build_tree *t = g->t;
    uint64_t *rng = g->rng;
    emit(s, "#include <stdio.h>\n#include \"common.h\"\n#include \"decl.h\"\n\n");
    emit(s, "int main(void)\n{\n    uint32_t h = 0x%08" PRIx32 "u;\n", (uint32_t)vp_prng_next(rng));
    for (uint64_t u = 0; u < t->units; u++)
        emit(s, "    h = mix(h, u%04" PRIu64 "_f%" PRIu64 "(h + %" PRIu64 "u));\n", u, t->funcs - 1,
             u);
    emit(s, "    printf(\"%%08x %%u\\n\", (unsigned)h, %" PRIu64 "u);\n    return 0;\n}\n",
         t->units);
}

static void write_makefile(struct src *s, const struct gen *g)
{
    const struct vp_build_tree *t = g->t;
    emit(s, "# Generated by virtperf's build workload.\nCC = cc\nCFLAGS = -O2\nOBJS =");
    for (uint64_t u = 0; u < t->units; u++)
        emit(s, "%s u%04" PRIu64 ".o", u % 8 == 0 ? " \\\n  " : "", u);
    emit(s, " \\\n  main.o\n\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n\nobjs: $(OBJS)\n\n");
    emit(s, "%%.o: %%.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\n.PHONY: objs\n");
}

/* Write one file of the tree with w. */
static int write_file(const char *dir, const char *name,
                      void (*w)(struct src *, const struct gen *), const struct gen *g,
                      uint64_t *lines, struct vp_err *err)
{
    struct src s;
    if (src_open(&s) < 0)
        return vp_run_error(err, ENOMEM, "build tree: %s", name);
    w(&s, g);
    return src_save(&s, dir, name, lines, err);
}

int vp_build_tree_write(const char *dir, const struct vp_build_tree *t, uint64_t *lines,
                        struct vp_err *err)
{
    uint64_t rng = t->seed;
    struct gen g = {t, &rng, 0};
    char name[32];
    int rc;
    *lines = 0;
    if ((rc = write_file(dir, "common.h", write_common, &g, lines, err)) < 0)
        return rc;
    for (g.index = 0; g.index < t->headers; g.index++) {
        snprintf(name, sizeof name, "h%03" PRIu64 ".h", g.index);
        if ((rc = write_file(dir, name, write_header, &g, lines, err)) < 0)
            return rc;
    }
    if ((rc = write_file(dir, "decl.h", write_decls, &g, lines, err)) < 0)
        return rc;
    for (g.index = 0; g.index < t->units; g.index++) {
        snprintf(name, sizeof name, "u%04" PRIu64 ".c", g.index);
        if ((rc = write_file(dir, name, write_unit, &g, lines, err)) < 0)
            return rc;
    }
    if ((rc = write_file(dir, "main.c", write_main, &g, lines, err)) < 0)
        return rc;
    return write_file(dir, "Makefile", write_makefile, &g, lines, err);
}
