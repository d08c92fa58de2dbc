/* An experiment as an SVG figure, drawn the way seed 001 draws its results:
 * per point a boxplot of the RTP round-trip delay (log scale) with the loss
 * under it, and per point the highest clean calls/s of each capacity search
 * with its 95% CI. Every figure comes from the store; each load's driver
 * says which chart it joins, with which values (drivers/). */
#include "report/exp_svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "drivers/driver.h"
#include "experiment/exp_store.h"

#define LEFT      70 /* room for the y axis labels (more when the first x label needs it) */
#define SLOT      64 /* width per box or bar */
#define TOP       40
#define PLOT_H    260
#define PANEL_H   (TOP + PLOT_H + bottom)
#define NOTE_H    24  /* the note at the top */
#define LABEL_W   6.2 /* a label character's width along the slant, px */
#define LABEL_MAX 44

/* One box or bar: a point's load. */
struct item {
    char label[160];
    bool flagged; /* generator late or host disturbed: footnote */
    struct vp_chart_value v;
};

struct items {
    struct item *v;
    int n;
};

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* "3 D: defaults cpu.weight:256" from the point's params JSON (without
 * braces, quotes and the key "case"), at most LABEL_MAX characters; the
 * load's target when the point has several. */
static void make_label(char *buf, size_t len, const struct vp_exp_point_row *p, const char *target,
                       bool several)
{
    char text[LABEL_MAX + 1];
    size_t k = 0;
    const char *c = p->params;
    if (strncmp(c, "{\"case\":", 8) == 0)
        c += 8;
    for (; *c && k < LABEL_MAX; c++)
        if (*c != '{' && *c != '}' && *c != '"')
            text[k++] = *c == ',' ? ' ' : *c;
    text[k] = '\0';
    snprintf(buf, len, several ? "%d %s (%s)" : "%d %s", p->point + 1, text, target);
}

static int add(struct items *it, const struct item *x)
{
    struct item *more = realloc(it->v, (size_t)(it->n + 1) * sizeof *more);
    if (more == NULL)
        return -ENOMEM;
    it->v = more;
    it->v[it->n++] = *x;
    return 0;
}

/* The delay boxes and capacity bars of every point's loads, as their
 * drivers draw them. */
static int collect(struct vp_store *st, const struct vp_exp_data *d, struct items *boxes,
                   struct items *bars, struct vp_err *err)
{
    struct items *chart[VP_CHART_COUNT] = {
        [VP_CHART_DELAY_BOX] = boxes, [VP_CHART_CAPACITY_BAR] = bars};
    for (int i = 0; i < d->npoints; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        struct vp_load_row *rows = NULL;
        int n = 0, rc = vp_point_loads(st, d->id, p->point, &rows, &n, err);
        double other = vp_point_other_work(st, d->id, p->point, err);
        for (int k = 0; rc == 0 && k < n; k++) {
            struct item x = {0};
            struct vp_load_figures f;
            if ((rc = vp_load_figures(st, &rows[k], &f, err)) < 0)
                break;
            int same = 0; /* loads of this driver in the point: name the target */
            for (int j = 0; j < n; j++)
                same += strcmp(rows[j].driver, rows[k].driver) == 0;
            make_label(x.label, sizeof x.label, p, rows[k].target, same > 1);
            x.flagged = f.generator_limited || other > VP_OTHER_WORK_LIMIT;
            enum vp_chart c = f.own && f.driver->draw ? f.driver->draw(&f, &x.v) : VP_CHART_NONE;
            vp_load_figures_free(&f);
            if (chart[c])
                rc = add(chart[c], &x);
            if (rc == -ENOMEM)
                vp_run_error(err, ENOMEM, "figure");
        }
        free(rows);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Room left of the plot (the axis labels, or the first slanted x label)
 * and under it (the figures and the longest slanted label). */
static int left, bottom;

/* The x labels, slanted, under slot k of a panel at y0, and the axis title. */
static void x_label(FILE *out, int k, int y0, const struct item *x)
{
    int cx = left + k * SLOT + SLOT / 2, y = y0 + TOP + PLOT_H + 34;
    fprintf(out, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-35 %d %d)\" text-anchor=\"end\">", cx,
            y, cx, y);
    xml_text(out, x->label);
    fprintf(out, "%s</text>\n", x->flagged ? " *" : "");
}

static void panel_title(FILE *out, int y0, const char *title, const char *axis)
{
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", left, y0 + 22, title);
    fprintf(out,
            "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
            "text-anchor=\"middle\">%s</text>\n",
            y0 + TOP + PLOT_H / 2, y0 + TOP + PLOT_H / 2, axis);
}

/* Delay boxplots on a log axis spanning whole decades of the data. */
static void draw_boxes(FILE *out, const struct items *b, int y0, int width)
{
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < b->n; i++) {
        const struct vp_boxplot *d = &b->v[i].v.delay_ms;
        lo = fmin(lo, d->min > 0 ? d->min : 1e-3);
        hi = fmax(hi, d->max);
    }
    double dlo = floor(log10(lo)), dhi = ceil(log10(hi > lo ? hi : lo * 10));
    if (dhi <= dlo)
        dhi = dlo + 1;
#define Y(v) (y0 + TOP + PLOT_H - (log10(fmax(v, 1e-9)) - dlo) / (dhi - dlo) * PLOT_H)
    panel_title(out, y0, "RTP round-trip delay and loss per configuration", "delay (ms)");
    for (double e = dlo; e <= dhi; e++) {
        double y = Y(pow(10, e));
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                left, y, width - 10, y, left - 6, y + 4, pow(10, e));
    }
    for (int i = 0; i < b->n; i++) {
        const struct item *x = &b->v[i];
        const struct vp_boxplot *d = &x->v.delay_ms;
        int cx = left + i * SLOT + SLOT / 2, w = SLOT / 3;
        fprintf(
            out,
            "<g class=\"box\"><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\"/>"
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\"/>"
            "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#9cf\" "
            "stroke=\"#000\"/>"
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\" "
            "stroke-width=\"2\"/>",
            cx, Y(d->whisker_hi), cx, Y(d->q3), cx, Y(d->q1), cx, Y(d->whisker_lo), cx - w,
            Y(d->q3), 2 * w, fmax(Y(d->q1) - Y(d->q3), 1), cx - w, Y(d->median), cx + w,
            Y(d->median));
        for (int k = 0; k < d->nout; k++)
            fprintf(out, "<circle cx=\"%d\" cy=\"%.1f\" r=\"2\" fill=\"none\" stroke=\"#c00\"/>",
                    cx, Y(d->out_value[k]));
        fprintf(out, "</g>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.3g%%</text>\n", cx,
                y0 + TOP + PLOT_H + 16, x->v.loss_pct);
        x_label(out, i, y0, x);
    }
#undef Y
}

/* Capacity bars from 0 with their 95% CI. */
static void draw_bars(FILE *out, const struct items *b, int y0, int width)
{
    double hi = 0;
    for (int i = 0; i < b->n; i++) {
        const struct vp_summary *m = &b->v[i].v.rate;
        hi = fmax(hi, isfinite(m->ci_hi) && m->n > 1 ? m->ci_hi : m->mean);
    }
    double step = pow(10, floor(log10(hi > 0 ? hi : 1)));
    double top = ceil(hi / step) * step;
    if (top <= 0)
        top = 1;
#define Y(v) (y0 + TOP + PLOT_H - fmax(v, 0) / top * PLOT_H)
    panel_title(out, y0, "highest clean calls/s per configuration (95% CI)", "calls/s");
    for (double v = 0; v <= top + step / 2; v += step)
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                left, Y(v), width - 10, Y(v), left - 6, Y(v) + 4, v);
    for (int i = 0; i < b->n; i++) {
        const struct item *x = &b->v[i];
        const struct vp_summary *m = &x->v.rate;
        int cx = left + i * SLOT + SLOT / 2, w = SLOT / 3;
        fprintf(out,
                "<g class=\"bar\"><rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" "
                "fill=\"#9c9\" stroke=\"#000\"/>",
                cx - w, Y(m->mean), 2 * w, Y(0) - Y(m->mean));
        if (m->n > 1 && isfinite(m->ci_lo) && isfinite(m->ci_hi))
            fprintf(out,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\"/>"
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\"/>"
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\"/>",
                    cx, Y(m->ci_lo), cx, Y(fmin(m->ci_hi, top)), cx - 5, Y(m->ci_lo), cx + 5,
                    Y(m->ci_lo), cx - 5, Y(fmin(m->ci_hi, top)), cx + 5, Y(fmin(m->ci_hi, top)));
        fprintf(out, "</g>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", cx,
                y0 + TOP + PLOT_H + 16, m->mean);
        x_label(out, i, y0, x);
    }
#undef Y
}

int vp_exp_svg(struct vp_store *st, int64_t id, FILE *out, struct vp_err *err)
{
    struct vp_exp_data d;
    struct items boxes = {0}, bars = {0};
    int rc = vp_exp_store_load(st, id, &d, err);
    if (rc < 0)
        return rc;
    if ((rc = collect(st, &d, &boxes, &bars, err)) == 0 && boxes.n + bars.n == 0)
        rc = vp_input_error(err,
                            "experiment %lld: nothing to draw (no stream run with delays, no "
                            "capacity search)",
                            (long long)id);
    if (rc == 0) {
        int n = boxes.n > bars.n ? boxes.n : bars.n;
        left = LEFT;
        bottom = 60;
        for (int k = 0; k < boxes.n + bars.n; k++) { /* label k ends under slot k */
            const struct item *x = k < boxes.n ? &boxes.v[k] : &bars.v[k - boxes.n];
            int slot = k < boxes.n ? k : k - boxes.n;
            double len = (double)strlen(x->label) * LABEL_W; /* cos, sin of 35° */
            if ((int)(len * 0.82) - slot * SLOT - SLOT / 2 + 10 > left)
                left = (int)(len * 0.82) - slot * SLOT - SLOT / 2 + 10;
            if ((int)(len * 0.58) + 50 > bottom)
                bottom = (int)(len * 0.58) + 50;
        }
        int width = left + n * SLOT + 40, panels = (boxes.n > 0) + (bars.n > 0);
        int height = NOTE_H + panels * PANEL_H, y0 = NOTE_H;
        fprintf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"sans-serif\" font-size=\"11\">\n"
                "<title>",
                width < 480 ? 480 : width, height);
        xml_text(out, d.name);
        fprintf(out, "</title>\n<text x=\"10\" y=\"16\">experiment %lld, ", (long long)d.id);
        xml_text(out, d.name);
        fputs(". * the generator fell behind its plan, or other work took host CPU</text>\n", out);
        if (boxes.n) {
            draw_boxes(out, &boxes, y0, width);
            y0 += PANEL_H;
        }
        if (bars.n)
            draw_bars(out, &bars, y0, width);
        fputs("</svg>\n", out);
    }
    free(boxes.v);
    free(bars.v);
    vp_exp_data_free(&d);
    return rc;
}
