/* report_svg.h — the drawing primitives of the HTML report: HTML escaping and inline SVG
 * charts (line plots with axes, ticks, labels and a legend; a scatter plot coloured by a
 * value with a colour bar and further point sets drawn over it; overlaid histograms; bar
 * charts; predicted-against-true scatters). Points and bars carry their text (a SMILES, a
 * value) as an SVG <title>, which browsers show as a tooltip. Everything is written
 * straight to a FILE*; nothing is kept. report_svg.c has the frame and the line plots,
 * report_plots.c the other charts. Not a public header. */
#ifndef CHEMVAE_REPORT_SVG_H
#define CHEMVAE_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

/* The margins of a chart's plot area inside its SVG: left (y tick labels and title),
 * right, top (title), bottom (x tick labels and title). */
enum { REPORT_ML = 62, REPORT_MR = 16, REPORT_MT = 30, REPORT_MB = 46 };

/* Writes s with &, <, >, " and ' escaped (NULL writes nothing). */
void report_html_escape(FILE *fp, const char *s);

/* An axis: [lo, hi] in multiples of step. */
typedef struct {
    double lo, hi, step;
} Axis;

/* [lo, hi] widened to multiples of a nice step (1, 2, 5 × 10^k) giving about 5 ticks. */
Axis report_axis(double lo, double hi);

/* Opens an svg_w×h chart and draws the frame, grid, ticks and titles of its w×h plot part
 * (svg_w > w leaves room on the right, e.g. for a colour bar). The caller closes </svg>. */
void report_frame(FILE *fp, const char *title, const char *xlabel, const char *ylabel, Axis ax,
                  Axis ay, int w, int h, int svg_w);

/* "no data" in the middle of a w×h chart's plot area. */
void report_no_data(FILE *fp, int w, int h);

/* Widens [*lo, *hi] by the finite values of v[0..n) (the first finite value when *finite
 * is 0 sets both) and counts them into *finite. */
void report_range(const double *v, size_t n, double *lo, double *hi, size_t *finite);

/* v as a tick label with as many decimals as `step` needs (0.25 -> 2, 5 -> 0). */
void report_fmt_num(char *buf, size_t cap, double v, double step);

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

/* Points drawn over a scatter: n points in one colour, each with its tooltip (tips and its
 * entries NULL-able); with group non-NULL, consecutive points of the same group are joined
 * by a line and the last point of a group is drawn larger (a path ending where it got). */
typedef struct {
    const char *label; /* legend text */
    const double *x, *y;
    size_t n;
    const char *const *tips;
    const int *group;
    const char *color;
} ReportPoints;

/* A scatter of n points (x, y) coloured by c (viridis from min to max of finite c; NaN
 * grey) with a colour bar labelled clabel, tooltips tips[i] (NULL-able), and the point
 * sets over[0..nover) drawn on top with a legend. The axes cover every finite point. */
typedef struct {
    const char *title, *xlabel, *ylabel, *clabel;
    const double *x, *y, *c;
    const char *const *tips;
    size_t n;
    const ReportPoints *over;
    size_t nover;
    int w, h;
} ReportScatter;
void report_plot_scatter(FILE *fp, const ReportScatter *s);

/* A sample of values for a histogram (non-finite values are left out). */
typedef struct {
    const char *label;
    const double *v;
    size_t n;
} ReportSample;

/* Overlaid histograms of ns samples on common bins (`bins` of them over the pooled values'
 * 0.5th to 99.5th percentile, values outside counted in the edge bins), each as the share
 * of its sample per bin (so samples of different sizes compare), outlined and lightly
 * filled in report_plot_color(i), with a legend giving each sample's size, mean and
 * standard deviation. */
void report_plot_hist(FILE *fp, const char *title, const char *xlabel, const ReportSample *s,
                      size_t ns, size_t bins, int w, int h);

/* Bars v[0..n) at x = 0..n-1 (the x axis labelled xlabel), bar i in colour
 * report_plot_color(hi[i] ? 0 : 7) (hi NULL-able: all in colour 0), with tooltip tips[i]
 * (NULL-able). */
void report_plot_bars(FILE *fp, const char *title, const char *xlabel, const char *ylabel,
                      const double *v, const unsigned char *hi, const char *const *tips, size_t n,
                      int w, int h);

/* Predicted (y) against true (x) values: n points with tooltips tips[i] (NULL-able) and the
 * line y = x across the common range of both axes. */
void report_plot_xy(FILE *fp, const char *title, const char *xlabel, const char *ylabel,
                    const double *x, const double *y, const char *const *tips, size_t n, int w,
                    int h);

/* The i-th categorical colour ("#rrggbb", cycles after 10). */
const char *report_plot_color(size_t i);

#endif
