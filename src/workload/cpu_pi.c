/* cpu-pi: π by the Gauss–Legendre (Brent–Salamin) iteration, as Super-Pi does.
 *
 * Seed 003 times Super-Pi computing 2^22 (4,194,304) decimal digits. A round
 * runs the whole iteration with MPFR at digits·log2(10) + guard bits, until a
 * and b agree to half the precision; the result is checked against MPFR's own
 * π (computed once, untimed, in setup). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <mpfr.h>

#include "core/signals.h"
#include "workload/workload.h"

#define GUARD_BITS     64
#define MAX_ITERATIONS 64
#define PI_PREFIX      "314159265358979323846264338327" /* 3.14159265358979323846264338327 */

struct pi_params {
    uint64_t digits;
};

struct pi_state {
    uint64_t digits;
    mpfr_prec_t prec;
    mpfr_t a, b, t, x, y; /* the iteration: a, b, t; x and y are scratch */
    mpfr_t pi, ref;
    int iterations;
};

static const struct vp_opt pi_opts[] = {
    {"digits", VP_OPT_COUNT, offsetof(struct pi_params, digits), "4M", 1000, 64.0 * 1048576, NULL,
     "decimal digits of pi (4M = 2^22, as Super-Pi)", false},
    VP_OPT_END,
};

static const struct vp_metric_def pi_metrics[] = {
    {"iterations", "count", VP_AVG_ARITHMETIC, false},
};

/* Binary precision that holds digits decimal digits, plus guard bits. */
static mpfr_prec_t bits_for_digits(uint64_t digits)
{
    return (mpfr_prec_t)ceil((double)digits * 3.321928094887362) + GUARD_BITS;
}

static void pi_teardown(void *state)
{
    struct pi_state *s = state;
    if (s == NULL)
        return;
    mpfr_clears(s->a, s->b, s->t, s->x, s->y, s->pi, s->ref, (mpfr_ptr)0);
    free(s);
    mpfr_free_cache(); /* mpfr_const_pi keeps its last result */
}

static int pi_setup(const void *params, void **state, struct vp_err *err)
{
    const struct pi_params *p = params;
    if (p->digits < 1000)
        return vp_input_error(err, "--digits %" PRIu64 ": at least 1000 digits", p->digits);

    struct pi_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return vp_run_error(err, ENOMEM, "cpu-pi state");
    s->digits = p->digits;
    s->prec = bits_for_digits(p->digits);
    mpfr_inits2(s->prec, s->a, s->b, s->t, s->x, s->y, s->pi, s->ref, (mpfr_ptr)0);
    mpfr_const_pi(s->ref, MPFR_RNDN);
    mpfr_set_ui(s->pi, 0, MPFR_RNDN);
    *state = s;
    return 0;
}

/* One Gauss–Legendre step, p being 2^k:
 * a' = (a+b)/2, b' = sqrt(ab), t' = t - 2^k (a - a')^2. */
static void gl_step(struct pi_state *s, unsigned long k)
{
    mpfr_add(s->x, s->a, s->b, MPFR_RNDN);
    mpfr_div_2ui(s->x, s->x, 1, MPFR_RNDN); /* x = a' */
    mpfr_mul(s->y, s->a, s->b, MPFR_RNDN);
    mpfr_sqrt(s->b, s->y, MPFR_RNDN); /* b = b' */
    mpfr_sub(s->y, s->a, s->x, MPFR_RNDN);
    mpfr_sqr(s->y, s->y, MPFR_RNDN);
    mpfr_mul_2ui(s->y, s->y, k, MPFR_RNDN);
    mpfr_sub(s->t, s->t, s->y, MPFR_RNDN);
    mpfr_swap(s->a, s->x); /* a = a' */
}

static int pi_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct pi_state *s = state;

    mpfr_set_ui(s->a, 1, MPFR_RNDN);
    mpfr_set_ui(s->b, 2, MPFR_RNDN);
    mpfr_rec_sqrt(s->b, s->b, MPFR_RNDN);
    mpfr_set_ui(s->t, 1, MPFR_RNDN);
    mpfr_div_2ui(s->t, s->t, 2, MPFR_RNDN);

    /* Stop once |a - b| < 2^-(prec/2): what is left of t is then below the guard bits. */
    mpfr_exp_t half = -(mpfr_exp_t)(s->prec / 2);
    int k;
    for (k = 0; k < MAX_ITERATIONS; k++) {
        if (vp_interrupted)
            return vp_run_error(err, EINTR, "interrupted");
        gl_step(s, (unsigned long)k);
        mpfr_sub(s->x, s->a, s->b, MPFR_RNDN);
        if (mpfr_zero_p(s->x) || mpfr_get_exp(s->x) < half) {
            k++;
            break;
        }
    }
    s->iterations = k;

    /* pi = (a + b)^2 / (4t) */
    mpfr_add(s->x, s->a, s->b, MPFR_RNDN);
    mpfr_sqr(s->x, s->x, MPFR_RNDN);
    mpfr_mul_2ui(s->y, s->t, 2, MPFR_RNDN);
    mpfr_div(s->pi, s->x, s->y, MPFR_RNDN);

    if (ctx->inject_fault) {
        /* add 2^-e >= 10^-(digits-10): the last ten digits go wrong */
        mpfr_exp_t e = (mpfr_exp_t)floor((double)(s->digits - 10) * 3.321928094887362);
        mpfr_set_ui_2exp(s->x, 1, -e, MPFR_RNDN);
        mpfr_add(s->pi, s->pi, s->x, MPFR_RNDN);
    }
    ctx->metrics[0] = (double)s->iterations;
    return 0;
}

/* Where the decimal expansions of x and y first differ: digits are counted
 * after the point, the leading 3 being place 0. Looks at the first n digits. */
static long first_differing_place(mpfr_srcptr x, mpfr_srcptr y, size_t n)
{
    mpfr_exp_t ex, ey;
    char *sx = mpfr_get_str(NULL, &ex, 10, n, x, MPFR_RNDZ);
    char *sy = mpfr_get_str(NULL, &ey, 10, n, y, MPFR_RNDZ);
    long place = -1;
    if (sx && sy) {
        if (ex != ey)
            place = 0;
        for (size_t i = 0; place < 0 && sx[i] && sy[i]; i++)
            if (sx[i] != sy[i])
                place = (long)i;
    }
    mpfr_free_str(sx);
    mpfr_free_str(sy);
    return place;
}

/* The result must start 3.14159... and be within 10^-digits of the reference. */
static int pi_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct pi_state *s = state;
    (void)ctx;

    mpfr_exp_t e;
    char *lead = mpfr_get_str(NULL, &e, 10, strlen(PI_PREFIX), s->pi, MPFR_RNDZ);
    if (lead == NULL)
        return vp_run_error(err, ENOMEM, "formatting the result");
    bool lead_ok = e == 1 && strcmp(lead, PI_PREFIX) == 0;
    mpfr_free_str(lead);

    mpfr_sub(s->x, s->pi, s->ref, MPFR_RNDN);
    double log10_err = -INFINITY;
    if (!mpfr_zero_p(s->x)) {
        long ex;
        double m = mpfr_get_d_2exp(&ex, s->x, MPFR_RNDN);
        log10_err = log10(fabs(m)) + (double)ex * 0.30102999566398120;
    }
    if (lead_ok && log10_err < -(double)s->digits)
        return 0;

    size_t look = s->digits + 1;
    if (isfinite(log10_err) && -log10_err + 20 < (double)look)
        look = (size_t)(-log10_err + 20);
    if (look < strlen(PI_PREFIX))
        look = strlen(PI_PREFIX);
    long place = first_differing_place(s->pi, s->ref, look);
    if (!lead_ok && place < 0)
        return vp_run_error(err, 0, "the result does not start with 3.%s", &PI_PREFIX[1]);
    if (place < 0)
        return vp_run_error(err, 0, "|pi - reference| = 10^%.1f, not below 10^-%" PRIu64, log10_err,
                            s->digits);
    return vp_run_error(err, 0,
                        "wrong from decimal place %ld of %" PRIu64 " (|pi - reference| = 10^%.1f)",
                        place, s->digits, log10_err);
}

const struct vp_workload vp_wl_cpu_pi = {
    .name = "cpu-pi",
    .summary = "pi to N decimal digits by the Gauss-Legendre iteration (MPFR)",
    .origin = "Super-Pi, 2^22 digits, seed 003 section 5.1",
    .opts = pi_opts,
    .params_size = sizeof(struct pi_params),
    .small_preset = "digits=64k",
    .metrics = pi_metrics,
    .nmetrics = sizeof pi_metrics / sizeof pi_metrics[0],
    .unsupported = NULL,
    .setup = pi_setup,
    .before_round = NULL,
    .round = pi_round,
    .verify = pi_verify,
    .teardown = pi_teardown,
};
