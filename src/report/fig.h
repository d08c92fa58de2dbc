/* The figures of an HTML report as JSON, the one form report.js draws with
 * ECharts. A figure is an object {kind, title, note, ...} with a table of
 * the same numbers as text under it ({columns, rows of text}); kinds:
 *   "bars"  x: category labels, y: axis name, series: [{name, data: [mean],
 *           lo: [], hi: []}] (a 95% CI whisker where lo and hi are not null;
 *           several series: grouped bars)
 *   "box"   x: labels, sub: a text under each, box: [[low whisker, q1,
 *           median, q3, high whisker]], outliers: [[x index, value]], ylog
 *   "xy"    xname, y, y2 (a right axis), series: [{name, type: "line" |
 *           "scatter", data: [[x, y]], err: [[x, lo, hi]], axis: 1 for the
 *           right one, color}], marks: [[x, label]] (vertical lines)
 *   "table" the table alone
 * Numbers that cannot be given (NaN, inf) are written null, and a table
 * says "n too small" for a CI it cannot give: the report never shows them. */
#ifndef VP_REPORT_FIG_H
#define VP_REPORT_FIG_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/stats.h"
#include "core/json.h"

/* Begin a figure object (inside the "figures" array); note may be NULL. */
void vp_fig_begin(struct vp_json *j, const char *kind, const char *title, const char *note);
void vp_fig_end(struct vp_json *j);

/* A number with 6 significant digits (null when not finite). */
void vp_fig_num(struct vp_json *j, const char *key, double v);
/* [x, y] in an "xy" series' data. */
void vp_fig_xy(struct vp_json *j, double x, double y);

/* Whether s has a 95% CI worth showing: n >= 2, finite, and not reaching
 * below zero for a quantity that cannot be negative. */
bool vp_fig_ci_ok(const struct vp_summary *s, bool nonnegative);

/* The table: columns, then rows of cells given as text. */
void vp_fig_table_begin(struct vp_json *j, const char *const *columns);
void vp_fig_row_begin(struct vp_json *j);
void vp_fig_cell(struct vp_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in fmt, "-" when not finite. */
void vp_fig_cell_num(struct vp_json *j, const char *fmt, double v);
/* "± h" for a CI worth showing (fmt for h), else "n too small". */
void vp_fig_cell_ci(struct vp_json *j, const char *fmt, const struct vp_summary *s,
                    bool nonnegative);
void vp_fig_row_end(struct vp_json *j);
void vp_fig_table_end(struct vp_json *j);

/* A point's label for x axes and tables: "3 D: defaults cpu.weight:256"
 * from its params JSON (without braces, quotes and the key "case"), cut
 * to max characters; without the number for a point < 0 ("all" when
 * nothing is left). */
void vp_fig_point_label(char *buf, size_t len, int point, const char *params, size_t max);

#endif
