/* report_plots.c — the report's charts beyond line plots (see report_svg.h): the latent
 * scatter with its overlays, overlaid histograms, bar charts and predicted-against-true
 * scatters, on the frame and axes of report_svg.c.
 *
 * Tooltips are SVG <title> children of the mark they describe (a browser shows them on
 * hover, with no script). They cost about the length of a SMILES per point, so a 2,000-point
 * map grows by ~100 kB; charts print coordinates with one decimal to keep pages small. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_svg.h"

#define ML REPORT_ML
#define MR REPORT_MR
#define MT REPORT_MT
#define MB REPORT_MB

/* Where value v lands on an axis a drawn over `len` pixels from `start` (flip: upwards). */
static double to_px(Axis a, double v, double start, double len, int flip) {
    double f = (v - a.lo) / (a.hi - a.lo);
    return flip ? start + len - f * len : start + f * len;
}

/* "<title>tip</title>" when tip is non-NULL. */
static void title(FILE *fp, const char *tip) {
    if (!tip) return;
    fprintf(fp, "<title>");
    report_html_escape(fp, tip);
    fprintf(fp, "</title>");
}

/* viridis, 5 stops, linear in between; t in [0, 1] */
static void viridis(double t, char out[8]) {
    static const unsigned char stop[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    double f = t * 4;
    int i = (int)f;
    if (i > 3) i = 3;
    f -= i;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(stop[i][c] + (stop[i + 1][c] - stop[i][c]) * f);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0] & 255, rgb[1] & 255, rgb[2] & 255);
}

/* The colour bar right of a w_plot-wide plot area: clabel, 20 steps, the range's ends. */
static void colour_bar(FILE *fp, int w_plot, int h, const char *clabel, double clo, double chi,
                       size_t nc) {
    double ph = h - MT - MB, bx = w_plot + 4;
    char col[8], num[32];
    fprintf(fp, "\n<text x=\"%.1f\" y=\"%d\" class=\"lg\">", bx, MT - 6);
    report_html_escape(fp, clabel);
    fprintf(fp, "</text>\n");
    for (int i = 0; i < 20; i++) {
        viridis(1 - i / 19.0, col);
        fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.2f\" fill=\"%s\"/>", bx,
                MT + ph * i / 20.0, ph / 20.0 + 0.5, col);
    }
    report_fmt_num(num, sizeof num, chi, fabs(chi - clo) / 100 + 1e-12);
    fprintf(fp, "\n<text x=\"%.1f\" y=\"%d\" class=\"tk\">%s</text>", bx + 18, MT + 10,
            nc ? num : "");
    report_fmt_num(num, sizeof num, clo, fabs(chi - clo) / 100 + 1e-12);
    fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"tk\">%s</text>\n", bx + 18, MT + ph,
            nc ? num : "");
}

/* One overlay: its paths (when grouped), its points, and legend entry k. */
static void overlay(FILE *fp, const ReportPoints *o, Axis ax, Axis ay, double pw, double ph,
                    size_t k) {
    for (size_t i = 0; o->group && i + 1 < o->n; i++) {
        if (o->group[i] != o->group[i + 1] ||
            !isfinite(o->x[i] + o->y[i] + o->x[i + 1] + o->y[i + 1]))
            continue;
        fprintf(fp,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-opacity=\"0.6\" stroke-width=\"1.2\"/>",
                to_px(ax, o->x[i], ML, pw, 0), to_px(ay, o->y[i], MT, ph, 1),
                to_px(ax, o->x[i + 1], ML, pw, 0), to_px(ay, o->y[i + 1], MT, ph, 1), o->color);
    }
    for (size_t i = 0; i < o->n; i++) {
        if (!isfinite(o->x[i]) || !isfinite(o->y[i])) continue;
        int last = o->group && (i + 1 == o->n || o->group[i + 1] != o->group[i]);
        fprintf(fp,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"#fff\" "
                "stroke-width=\"0.6\">",
                to_px(ax, o->x[i], ML, pw, 0), to_px(ay, o->y[i], MT, ph, 1), last ? 5.0 : 3.2,
                o->color);
        title(fp, o->tips ? o->tips[i] : NULL);
        fprintf(fp, "</circle>%s", i % 8 == 7 ? "\n" : "");
    }
    double ly = MT + 14 + 15.0 * (double)k;
    fprintf(fp,
            "\n<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
            "class=\"lg\">",
            ML + 10.0, ly - 4, o->color, ML + 18.0, ly);
    report_html_escape(fp, o->label);
    fprintf(fp, "</text>\n");
}

void report_plot_scatter(FILE *fp, const ReportScatter *s) {
    const int bar = 70; /* colour bar to the right */
    double xlo = 0, xhi = 1, ylo = 0, yhi = 1, clo = 0, chi = 1;
    size_t nx = 0, ny = 0, nc = 0;
    report_range(s->x, s->n, &xlo, &xhi, &nx);
    report_range(s->y, s->n, &ylo, &yhi, &ny);
    report_range(s->c, s->n, &clo, &chi, &nc);
    for (size_t k = 0; k < s->nover; k++) {
        report_range(s->over[k].x, s->over[k].n, &xlo, &xhi, &nx);
        report_range(s->over[k].y, s->over[k].n, &ylo, &yhi, &ny);
    }
    Axis ax = report_axis(xlo, xhi), ay = report_axis(ylo, yhi);
    int w = s->w - bar, h = s->h;
    report_frame(fp, s->title, s->xlabel, s->ylabel, ax, ay, w, h, s->w);
    double pw = w - ML - MR, ph = h - MT - MB;
    char col[8];
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) continue;
        if (isfinite(s->c[i])) viridis(chi > clo ? (s->c[i] - clo) / (chi - clo) : 0.5, col);
        else snprintf(col, sizeof col, "#bbbbbb");
        fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\" fill-opacity=\"0.8\">",
                to_px(ax, s->x[i], ML, pw, 0), to_px(ay, s->y[i], MT, ph, 1), col);
        title(fp, s->tips ? s->tips[i] : NULL);
        fprintf(fp, "</circle>%s", i % 8 == 7 ? "\n" : "");
    }
    if (!nx) report_no_data(fp, w, h);
    for (size_t k = 0; k < s->nover; k++) overlay(fp, &s->over[k], ax, ay, pw, ph, k);
    colour_bar(fp, w, h, s->clabel, clo, chi, nc);
    fprintf(fp, "</svg>\n");
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 0.5th and 99.5th percentiles of the finite values of the ns samples (lo = hi = 0
 * when there are none); returns how many finite values there are. */
static size_t pooled_range(const ReportSample *s, size_t ns, double *lo, double *hi) {
    size_t total = 0, m = 0;
    for (size_t k = 0; k < ns; k++) total += s[k].n;
    double *all = malloc((total ? total : 1) * sizeof *all);
    *lo = *hi = 0;
    if (!all) return 0;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++)
            if (isfinite(s[k].v[i])) all[m++] = s[k].v[i];
    if (m) {
        qsort(all, m, sizeof *all, cmp_double);
        *lo = all[(size_t)(0.005 * (double)(m - 1))];
        *hi = all[(size_t)ceil(0.995 * (double)(m - 1))];
    }
    free(all);
    return m;
}

/* Share of sample s's finite values in each of `bins` bins over [lo, hi] into share;
 * returns the finite count, and their mean and standard deviation. */
static size_t bin_shares(const ReportSample *s, double lo, double hi, size_t bins, double *share,
                         double *mean, double *sd) {
    size_t n = 0;
    double sum = 0, sum2 = 0;
    for (size_t b = 0; b < bins; b++) share[b] = 0;
    for (size_t i = 0; i < s->n; i++) {
        double v = s->v[i];
        if (!isfinite(v)) continue;
        double f = hi > lo ? (v - lo) / (hi - lo) * (double)bins : 0;
        size_t b = f < 0 ? 0 : f >= (double)bins ? bins - 1 : (size_t)f;
        share[b]++;
        sum += v, sum2 += v * v, n++;
    }
    for (size_t b = 0; b < bins; b++) share[b] = n ? share[b] / (double)n : 0;
    *mean = n ? sum / (double)n : NAN;
    *sd = n > 1 ? sqrt(fmax(0, (sum2 - sum * sum / (double)n) / (double)(n - 1))) : NAN;
    return n;
}

/* One histogram outline of `bins` shares, filled lightly, and its legend line k. */
static void hist_outline(FILE *fp, const double *share, size_t bins, Axis ax, Axis ay, double lo,
                         double hi, double pw, double ph, size_t k, const char *legend) {
    const char *col = report_plot_color(k);
    double y0 = to_px(ay, 0, MT, ph, 1);
    fprintf(fp,
            "<polygon fill=\"%s\" fill-opacity=\"0.18\" stroke=\"%s\" stroke-width=\"1.6\" "
            "points=\"%.1f,%.1f ",
            col, col, to_px(ax, lo, ML, pw, 0), y0);
    for (size_t b = 0; b < bins; b++) {
        double a = lo + (hi - lo) * (double)b / (double)bins,
               z = lo + (hi - lo) * (double)(b + 1) / (double)bins,
               y = to_px(ay, share[b], MT, ph, 1);
        fprintf(fp, "%.1f,%.1f %.1f,%.1f ", to_px(ax, a, ML, pw, 0), y, to_px(ax, z, ML, pw, 0), y);
    }
    fprintf(fp, "%.1f,%.1f\"/>\n", to_px(ax, hi, ML, pw, 0), y0);
    double ly = MT + 14 + 15.0 * (double)k;
    fprintf(fp,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"8\" fill=\"%s\" "
            "fill-opacity=\"0.5\"/><text x=\"%.1f\" y=\"%.1f\" class=\"lg\">",
            ML + pw - 250, ly - 8, col, ML + pw - 234, ly);
    report_html_escape(fp, legend);
    fprintf(fp, "</text>\n");
}

void report_plot_hist(FILE *fp, const char *title_text, const char *xlabel, const ReportSample *s,
                      size_t ns, size_t bins, int w, int h) {
    double lo, hi;
    size_t m = pooled_range(s, ns, &lo, &hi);
    if (!(hi > lo)) hi = lo + 1;
    double *share = calloc(ns * bins + 1, sizeof *share), top = 0, mean[8], sd[8];
    size_t cnt[8];
    if (ns > 8) ns = 8;
    for (size_t k = 0; share && k < ns; k++) {
        cnt[k] = bin_shares(&s[k], lo, hi, bins, share + k * bins, &mean[k], &sd[k]);
        for (size_t b = 0; b < bins; b++) top = fmax(top, share[k * bins + b]);
    }
    Axis ax = report_axis(lo, hi), ay = report_axis(0, top > 0 ? top : 1);
    ay.lo = 0;
    report_frame(fp, title_text, xlabel, "share of molecules", ax, ay, w, h, w);
    double pw = w - ML - MR, ph = h - MT - MB;
    if (!m || !share) report_no_data(fp, w, h);
    for (size_t k = 0; m && share && k < ns; k++) {
        char legend[160];
        snprintf(legend, sizeof legend, "%s (n=%zu, %.3g ± %.3g)", s[k].label, cnt[k], mean[k],
                 sd[k]);
        hist_outline(fp, share + k * bins, bins, ax, ay, lo, hi, pw, ph, k, legend);
    }
    free(share);
    fprintf(fp, "</svg>\n");
}

void report_plot_bars(FILE *fp, const char *title_text, const char *xlabel, const char *ylabel,
                      const double *v, const unsigned char *hi, const char *const *tips, size_t n,
                      int w, int h) {
    double lo = 0, top = 0;
    size_t nf = 1;
    report_range(v, n, &lo, &top, &nf);
    /* bar i spans [i, i + 1] */
    Axis ax = report_axis(0, n ? (double)n : 1), ay = report_axis(0, top > 0 ? top : 1);
    ay.lo = 0;
    report_frame(fp, title_text, xlabel, ylabel, ax, ay, w, h, w);
    double pw = w - ML - MR, ph = h - MT - MB, bw = pw / (ax.hi - ax.lo);
    if (!n) report_no_data(fp, w, h);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        double y = to_px(ay, v[i] > 0 ? v[i] : 0, MT, ph, 1);
        fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\">",
                to_px(ax, (double)i, ML, pw, 0) + bw * 0.1, y, bw * 0.8, MT + ph - y,
                report_plot_color(!hi || hi[i] ? 0 : 7));
        title(fp, tips ? tips[i] : NULL);
        fprintf(fp, "</rect>%s", i % 8 == 7 ? "\n" : "");
    }
    fprintf(fp, "</svg>\n");
}

void report_plot_xy(FILE *fp, const char *title_text, const char *xlabel, const char *ylabel,
                    const double *x, const double *y, const char *const *tips, size_t n, int w,
                    int h) {
    double lo = 0, hi = 1;
    size_t nf = 0;
    report_range(x, n, &lo, &hi, &nf);
    report_range(y, n, &lo, &hi, &nf);
    Axis a = report_axis(lo, hi);
    report_frame(fp, title_text, xlabel, ylabel, a, a, w, h, w);
    double pw = w - ML - MR, ph = h - MT - MB;
    fprintf(fp,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
            "stroke-dasharray=\"4 3\"/>\n",
            to_px(a, a.lo, ML, pw, 0), to_px(a, a.lo, MT, ph, 1), to_px(a, a.hi, ML, pw, 0),
            to_px(a, a.hi, MT, ph, 1));
    if (!nf) report_no_data(fp, w, h);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.4\" fill=\"%s\" fill-opacity=\"0.6\">",
                to_px(a, x[i], ML, pw, 0), to_px(a, y[i], MT, ph, 1), report_plot_color(0));
        title(fp, tips ? tips[i] : NULL);
        fprintf(fp, "</circle>%s", i % 8 == 7 ? "\n" : "");
    }
    fprintf(fp, "</svg>\n");
}
