/* cpu-gzip: the 164.gzip analogue of seed 002.
 *
 * SPEC CPU2000 164.gzip compresses and decompresses its inputs in memory. Here
 * the input is a generated text-like corpus (words of a fixed pseudo-random
 * vocabulary drawn with a Zipf distribution, punctuation, wrapped lines and
 * paragraphs), the same bytes on every machine for a given size. A round
 * deflates it into a gzip stream and inflates it back, passes times; verify
 * compares the output with the corpus byte for byte and by CRC-32. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/clock.h"
#include "core/host.h"
#include "core/prng.h"
#include "core/signals.h"
#include "core/units.h"
#include "workload/workload.h"

#define CORPUS_SEED 0x67a1f2c3d4e5b601u
#define VOCAB_WORDS 4096
#define WORD_MAX    16
#define FOLLOWERS   4  /* likely next words of each word: recurring phrases */
#define FOLLOW_PCT  65 /* how often the next word is one of them */
#define LINE_WIDTH  72
#define ZLIB_CHUNK  (1u << 20) /* bytes handed to zlib between interruption checks */
#define GZIP_WBITS  (15 + 16)  /* 32 KiB window, gzip header and trailer */
#define MAX_CORPUS  (1024.0 * 1048576)

struct gzip_params {
    uint64_t size;
    int64_t level;
    int64_t passes;
};

struct gzip_state {
    size_t size;
    int passes;
    unsigned char *corpus, *comp, *out;
    size_t comp_cap, comp_len, out_len;
    uLong crc;
    z_stream def, inf;
    bool def_ready, inf_ready;
};

struct vocab {
    char words[VOCAB_WORDS][WORD_MAX + 1];
    unsigned char len[VOCAB_WORDS];
    double cdf[VOCAB_WORDS]; /* cumulative Zipf weights, last = 1 */
    unsigned short follow[VOCAB_WORDS][FOLLOWERS];
};

static const struct vp_opt gzip_opts[] = {
    {"size", VP_OPT_SIZE, offsetof(struct gzip_params, size), "64M", 65536, MAX_CORPUS, NULL,
     "bytes of generated text to compress", false},
    {"level", VP_OPT_INT, offsetof(struct gzip_params, level), "6", 1, 9, NULL,
     "deflate compression level", false},
    {"passes", VP_OPT_INT, offsetof(struct gzip_params, passes), "1", 1, 1000, NULL,
     "compress + decompress passes per round", false},
    VP_OPT_END,
};

static const struct vp_metric_def gzip_metrics[] = {
    {"compress_rate", "MB/s", VP_AVG_HARMONIC, true},
    {"decompress_rate", "MB/s", VP_AVG_HARMONIC, true},
    {"ratio", "x", VP_AVG_ARITHMETIC, true},
};

/* A uniform double in [0, 1). */
static double uniform(uint64_t *rng)
{
    return (double)(vp_prng_next(rng) >> 11) * 0x1.0p-53;
}

/* Letters with roughly English frequencies, so the literal coder has work. */
static char random_letter(uint64_t *rng)
{
    static const char letters[] = "etaoinshrdlcumwfgypbvkjxqz";
    static const unsigned char weight[] = {127, 91, 82, 75, 70, 67, 63, 61, 60, 43, 40, 28, 28,
                                           24,  24, 22, 20, 20, 19, 15, 10, 8,  2,  2,  1,  1};
    unsigned total = 0;
    for (size_t i = 0; i < sizeof weight; i++)
        total += weight[i];
    unsigned r = (unsigned)(vp_prng_next(rng) % total);
    for (size_t i = 0; i < sizeof weight; i++) {
        if (r < weight[i])
            return letters[i];
        r -= weight[i];
    }
    return 'e';
}

/* A word index with Zipf (1/rank) probability. */
static int pick_word(const struct vocab *v, uint64_t *rng)
{
    double u = uniform(rng);
    int lo = 0, hi = VOCAB_WORDS - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (v->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The vocabulary: rarer words are longer, as in natural language. */
static void make_vocab(struct vocab *v, uint64_t *rng)
{
    double total = 0;
    for (int i = 0; i < VOCAB_WORDS; i++) {
        int len = 1 + (int)(log2(i + 2.0) / 2) + (int)(vp_prng_next(rng) % 5);
        if (len > WORD_MAX)
            len = WORD_MAX;
        for (int c = 0; c < len; c++)
            v->words[i][c] = random_letter(rng);
        v->words[i][len] = '\0';
        v->len[i] = (unsigned char)len;
        total += 1.0 / (i + 1.0);
        v->cdf[i] = total;
    }
    for (int i = 0; i < VOCAB_WORDS; i++)
        v->cdf[i] /= total;
    v->cdf[VOCAB_WORDS - 1] = 1.0;
    for (int i = 0; i < VOCAB_WORDS; i++)
        for (int f = 0; f < FOLLOWERS; f++)
            v->follow[i][f] = (unsigned short)pick_word(v, rng);
}

/* Fill buf with sentences of vocabulary words, wrapped at LINE_WIDTH,
 * paragraphs separated by blank lines. */
static void make_corpus(unsigned char *buf, size_t size, const struct vocab *v, uint64_t *rng)
{
    size_t pos = 0;
    int col = 0, sentence_left = 0, paragraph_left = 4, prev = -1;
    char word[WORD_MAX + 2];

    while (pos < size) {
        uint64_t r = vp_prng_next(rng);
        int w = prev >= 0 && r % 100 < FOLLOW_PCT ? v->follow[prev][(r >> 32) % FOLLOWERS]
                                                  : pick_word(v, rng);
        prev = w;
        int len = v->len[w];
        memcpy(word, v->words[w], (size_t)len);
        bool starts = sentence_left == 0;
        if (starts) {
            sentence_left = 4 + (int)(vp_prng_next(rng) % 16);
            word[0] = (char)(word[0] - 'a' + 'A');
        }
        sentence_left--;
        if (sentence_left == 0) {
            r = vp_prng_next(rng) % 20;
            word[len++] = r == 0 ? '?' : r == 1 ? '!' : '.';
            prev = -1;
        } else if (vp_prng_next(rng) % 10 == 0) {
            word[len++] = ',';
        }

        /* the separator before the word */
        if (col > 0) {
            char sep = ' ';
            if (starts && --paragraph_left == 0) {
                paragraph_left = 3 + (int)(vp_prng_next(rng) % 6);
                if (pos < size)
                    buf[pos++] = '\n';
                sep = '\n';
                col = 0;
            } else if (col + 1 + len > LINE_WIDTH) {
                sep = '\n';
                col = 0;
            } else {
                col++;
            }
            if (pos < size)
                buf[pos++] = (unsigned char)sep;
        }
        for (int c = 0; c < len && pos < size; c++)
            buf[pos++] = (unsigned char)word[c];
        col += len;
    }
}

static void gzip_teardown(void *state)
{
    struct gzip_state *s = state;
    if (s == NULL)
        return;
    if (s->def_ready)
        deflateEnd(&s->def);
    if (s->inf_ready)
        inflateEnd(&s->inf);
    free(s->corpus);
    free(s->comp);
    free(s->out);
    free(s);
}

static int gzip_setup(const void *params, void **state, struct vp_err *err)
{
    const struct gzip_params *p = params;
    char want[32], have[32];
    int rc = 0;

    uint64_t avail = vp_mem_available();
    uint64_t need = 3 * p->size + (64u << 20); /* corpus, output, compressed, slack */
    if (avail > 0 && need > avail) {
        vp_format_size(p->size, want, sizeof want);
        vp_format_size(avail, have, sizeof have);
        return vp_input_error(
            err, "--size %s: cpu-gzip needs about 3 times that, only %s available", want, have);
    }

    struct gzip_state *s = calloc(1, sizeof *s);
    struct vocab *v = malloc(sizeof *v);
    if (s == NULL || v == NULL) {
        free(s);
        free(v);
        return vp_run_error(err, ENOMEM, "cpu-gzip state");
    }
    s->size = (size_t)p->size;
    s->passes = (int)p->passes;

    int zrc = deflateInit2(&s->def, (int)p->level, Z_DEFLATED, GZIP_WBITS, 8, Z_DEFAULT_STRATEGY);
    if (zrc != Z_OK) {
        rc = vp_run_error(err, zrc == Z_MEM_ERROR ? ENOMEM : 0, "cpu-gzip: deflateInit2 failed");
        goto out;
    }
    s->def_ready = true;
    if ((zrc = inflateInit2(&s->inf, GZIP_WBITS)) != Z_OK) {
        rc = vp_run_error(err, zrc == Z_MEM_ERROR ? ENOMEM : 0, "cpu-gzip: inflateInit2 failed");
        goto out;
    }
    s->inf_ready = true;

    s->comp_cap = deflateBound(&s->def, (uLong)s->size);
    s->corpus = malloc(s->size);
    s->comp = malloc(s->comp_cap);
    s->out = malloc(s->size);
    if (s->corpus == NULL || s->comp == NULL || s->out == NULL) {
        vp_format_size(p->size, want, sizeof want);
        rc = vp_run_error(err, ENOMEM, "cpu-gzip: buffers for %s", want);
        goto out;
    }
    uint64_t rng = CORPUS_SEED;
    make_vocab(v, &rng);
    make_corpus(s->corpus, s->size, v, &rng);
    s->crc = crc32_z(crc32(0L, Z_NULL, 0), s->corpus, s->size);
    /* touch the buffers now so that no round pays their first page faults */
    memset(s->comp, 0, s->comp_cap);
    memset(s->out, 0, s->size);

out:
    free(v);
    if (rc < 0) {
        gzip_teardown(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int zlib_error(struct vp_err *err, const char *what, int zrc, const z_stream *zs)
{
    return vp_run_error(err, zrc == Z_MEM_ERROR ? ENOMEM : 0, "cpu-gzip: %s: %s", what,
                        zs->msg ? zs->msg : zError(zrc));
}

/* Deflate the corpus into s->comp, a chunk at a time. */
static int compress_corpus(struct gzip_state *s, struct vp_err *err)
{
    z_stream *zs = &s->def;
    int zrc = deflateReset(zs);
    if (zrc != Z_OK)
        return zlib_error(err, "deflateReset", zrc, zs);
    zs->next_out = s->comp;
    zs->avail_out = (uInt)s->comp_cap;
    for (size_t off = 0; off < s->size;) {
        if (vp_interrupted)
            return vp_run_error(err, EINTR, "interrupted");
        size_t n = s->size - off < ZLIB_CHUNK ? s->size - off : ZLIB_CHUNK;
        bool last = off + n == s->size;
        zs->next_in = s->corpus + off;
        zs->avail_in = (uInt)n;
        zrc = deflate(zs, last ? Z_FINISH : Z_NO_FLUSH);
        if (zrc != (last ? Z_STREAM_END : Z_OK) || zs->avail_in != 0)
            return zlib_error(err, "deflate", zrc == Z_OK ? Z_BUF_ERROR : zrc, zs);
        off += n;
    }
    s->comp_len = zs->total_out;
    return 0;
}

/* Inflate s->comp back into s->out, feeding the input a chunk at a time. */
static int decompress_corpus(struct gzip_state *s, struct vp_err *err)
{
    z_stream *zs = &s->inf;
    int zrc = inflateReset(zs);
    if (zrc != Z_OK)
        return zlib_error(err, "inflateReset", zrc, zs);
    zs->next_out = s->out;
    zs->avail_out = (uInt)s->size;
    for (size_t off = 0;;) {
        if (vp_interrupted)
            return vp_run_error(err, EINTR, "interrupted");
        size_t n = s->comp_len - off < ZLIB_CHUNK / 4 ? s->comp_len - off : ZLIB_CHUNK / 4;
        zs->next_in = s->comp + off;
        zs->avail_in = (uInt)n;
        zrc = inflate(zs, Z_NO_FLUSH);
        off += n - zs->avail_in;
        if (zrc == Z_STREAM_END)
            break;
        if (zrc != Z_OK) /* Z_BUF_ERROR: the stream is cut short or longer than the corpus */
            return zlib_error(err, "inflate", zrc, zs);
    }
    s->out_len = zs->total_out;
    return 0;
}

static int gzip_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct gzip_state *s = state;
    uint64_t comp_ns = 0, decomp_ns = 0;
    int rc;

    s->comp_len = s->out_len = 0;
    for (int i = 0; i < s->passes; i++) {
        uint64_t t0 = vp_now_ns();
        if ((rc = compress_corpus(s, err)) < 0)
            return rc;
        uint64_t t1 = vp_now_ns();
        if ((rc = decompress_corpus(s, err)) < 0)
            return rc;
        uint64_t t2 = vp_now_ns();
        comp_ns += t1 - t0;
        decomp_ns += t2 - t1;
    }
    if (ctx->inject_fault)
        s->out[s->size / 2] ^= 0xff;

    double mb = (double)s->size * s->passes / 1e6;
    ctx->metrics[0] = comp_ns ? mb / ((double)comp_ns / 1e9) : 0;
    ctx->metrics[1] = decomp_ns ? mb / ((double)decomp_ns / 1e9) : 0;
    ctx->metrics[2] = s->comp_len ? (double)s->size / (double)s->comp_len : 0;
    return 0;
}

static int gzip_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct gzip_state *s = state;
    (void)ctx;

    if (s->out_len != s->size)
        return vp_run_error(err, 0, "decompressed %zu bytes, expected %zu", s->out_len, s->size);
    if (memcmp(s->out, s->corpus, s->size) != 0) {
        size_t i = 0;
        while (s->out[i] == s->corpus[i])
            i++;
        return vp_run_error(err, 0, "decompressed data differs from byte %zu", i);
    }
    uLong crc = crc32_z(crc32(0L, Z_NULL, 0), s->out, s->size);
    if (crc != s->crc)
        return vp_run_error(err, 0, "CRC-32 %08lx, expected %08lx", crc, s->crc);
    return 0;
}

const struct vp_workload vp_wl_cpu_gzip = {
    .name = "cpu-gzip",
    .summary = "deflate and inflate a generated text corpus in memory (zlib)",
    .origin = "SPEC CPU2000 164.gzip, seed 002",
    .opts = gzip_opts,
    .params_size = sizeof(struct gzip_params),
    .small_preset = "size=4M",
    .metrics = gzip_metrics,
    .nmetrics = sizeof gzip_metrics / sizeof gzip_metrics[0],
    .unsupported = NULL,
    .setup = gzip_setup,
    .before_round = NULL,
    .round = gzip_round,
    .verify = gzip_verify,
    .teardown = gzip_teardown,
};
