/* report_svg.h — the drawing primitives of the HTML report: HTML escaping and inline SVG
 * charts (line plots with axes, ticks, labels and a legend; a scatter plot coloured by a
 * value with a colour bar). Everything is written straight to a FILE*; nothing is kept.
 * Not a public header. */
#ifndef CHEMVAE_REPORT_SVG_H
#define CHEMVAE_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Writes s with &, <, >, " and ' escaped (NULL writes nothing). */
void report_html_escape(FILE *fp, const char *s);

/* A line series: n points (x[i], y[i]); non-finite y breaks the line. */
typedef struct {
    const char *label; /* legend text, NULL-able */
    const double *x, *y;
    size_t n;
} ReportSeries;

/* Line plot of ns series in a w×h SVG with title, axis labels and "nice" ticks; series i
 * gets colour report_plot_color(i) and small point markers. No series with a finite point draws an
 * empty frame saying "no data". */
void report_plot_lines(FILE *fp, const char *title, const char *xlabel, const char *ylabel,
                       const ReportSeries *s, size_t ns, int w, int h);

/* Scatter of n points (x, y) coloured by c (viridis from min to max of finite c; NaN grey),
 * with a colour bar labelled clabel. */
void report_plot_scatter(FILE *fp, const char *title, const char *xlabel, const char *ylabel,
                         const double *x, const double *y, const double *c, size_t n,
                         const char *clabel, int w, int h);

/* The i-th categorical colour ("#rrggbb", cycles after 10). */
const char *report_plot_color(size_t i);

#endif
