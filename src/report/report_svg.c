/* report_svg.c — inline SVG charts for the HTML report (see report_svg.h): escaping, axes,
 * the chart frame and line plots (the other charts are in report_plots.c).
 *
 * A chart is a fixed frame: margins for tick labels and axis titles, a plot area mapped
 * linearly from the data range widened to "nice" tick steps (1, 2, 5 × 10^k). Coordinates
 * are printed with one decimal, so a 40-epoch curve costs a few kB. Text uses the page's
 * CSS font (no web fonts). Why hand-written SVG and not a JS chart library: the report must
 * open offline with no scripts at all. */
#include "report_svg.h"

#include <math.h>
#include <string.h>

#define ML REPORT_ML
#define MR REPORT_MR
#define MT REPORT_MT
#define MB REPORT_MB

void report_html_escape(FILE *fp, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", fp);
            break;
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        case '\'':
            fputs("&#39;", fp);
            break;
        default:
            fputc(*s, fp);
        }
    }
}

const char *report_plot_color(size_t i) {
    static const char *const c[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    return c[i % 10];
}

Axis report_axis(double lo, double hi) {
    if (!(hi > lo)) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    Axis a = {floor(lo / step) * step, ceil(hi / step) * step, step};
    return a;
}

void report_fmt_num(char *buf, size_t cap, double v, double step) {
    if (fabs(v) < step * 1e-6) v = 0;
    int dec = step > 0 ? (int)ceil(-log10(step) - 1e-9) : 0;
    if (dec < 0) dec = 0;
    if (fabs(v) >= 1e6 || dec > 8) snprintf(buf, cap, "%.3g", v);
    else snprintf(buf, cap, "%.*f", dec + (fmod(fabs(step) * pow(10, dec), 1) > 1e-6 ? 1 : 0), v);
}

void report_frame(FILE *fp, const char *title, const char *xlabel, const char *ylabel, Axis ax,
                  Axis ay, int w, int h, int svg_w) {
    double pw = w - ML - MR, ph = h - MT - MB;
    fprintf(fp, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", svg_w,
            h, svg_w, h);
    fprintf(
        fp,
        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" stroke=\"#999\"/>\n",
        ML, MT, pw, ph);
    fprintf(fp, "<text x=\"%.1f\" y=\"18\" text-anchor=\"middle\" class=\"ct\">", ML + pw / 2);
    report_html_escape(fp, title);
    fprintf(fp, "</text>\n");
    char num[32];
    for (int i = 0; i <= 40; i++) {
        double v = ax.lo + i * ax.step;
        if (v > ax.hi + ax.step * 1e-9) break;
        double px = ML + (v - ax.lo) / (ax.hi - ax.lo) * pw;
        report_fmt_num(num, sizeof num, v, ax.step);
        fprintf(fp,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tk\">%s</text>\n",
                px, MT, px, MT + ph, px, MT + ph + 14, num);
    }
    for (int i = 0; i <= 40; i++) {
        double v = ay.lo + i * ay.step;
        if (v > ay.hi + ay.step * 1e-9) break;
        double py = MT + ph - (v - ay.lo) / (ay.hi - ay.lo) * ph;
        report_fmt_num(num, sizeof num, v, ay.step);
        fprintf(fp,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tk\">%s</text>\n",
                ML, py, ML + pw, py, ML - 4, py + 4, num);
    }
    fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"al\">", ML + pw / 2,
            h - 8);
    report_html_escape(fp, xlabel);
    fprintf(fp,
            "</text>\n<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\" "
            "class=\"al\">",
            MT + ph / 2);
    report_html_escape(fp, ylabel);
    fprintf(fp, "</text>\n");
}

void report_range(const double *v, size_t n, double *lo, double *hi, size_t *finite) {
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (!*finite || v[i] < *lo) *lo = v[i];
        if (!*finite || v[i] > *hi) *hi = v[i];
        (*finite)++;
    }
}

void report_no_data(FILE *fp, int w, int h) {
    fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"al\">no data</text>\n",
            ML + (w - ML - MR) / 2, MT + (h - MT - MB) / 2);
}

void report_plot_lines(FILE *fp, const char *title, const char *xlabel, const char *ylabel,
                       const ReportSeries *s, size_t ns, int w, int h) {
    double xlo = 0, xhi = 1, ylo = 0, yhi = 1;
    size_t ny = 0;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(y) || !isfinite(x)) continue;
            xlo = ny && xlo < x ? xlo : x;
            xhi = ny && xhi > x ? xhi : x;
            ylo = ny && ylo < y ? ylo : y;
            yhi = ny && yhi > y ? yhi : y;
            ny++;
        }
    Axis ax = report_axis(xlo, xhi), ay = report_axis(ylo, yhi);
    report_frame(fp, title, xlabel, ylabel, ax, ay, w, h, w);
    if (!ny) {
        report_no_data(fp, w, h);
        fprintf(fp, "</svg>\n");
        return;
    }
    double pw = w - ML - MR, ph = h - MT - MB;
    for (size_t k = 0; k < ns; k++) {
        const char *col = report_plot_color(k);
        int open = 0;
        for (size_t i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].y[i]) || !isfinite(s[k].x[i])) {
                if (open) fprintf(fp, "\"/>\n");
                open = 0;
                continue;
            }
            double px = ML + (s[k].x[i] - ax.lo) / (ax.hi - ax.lo) * pw;
            double py = MT + ph - (s[k].y[i] - ay.lo) / (ay.hi - ay.lo) * ph;
            if (!open)
                fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
                        col);
            fprintf(fp, "%.1f,%.1f ", px, py);
            open = 1;
        }
        if (open) fprintf(fp, "\"/>\n");
        for (size_t i = 0; i < s[k].n && s[k].n <= 200; i++) {
            if (!isfinite(s[k].y[i]) || !isfinite(s[k].x[i])) continue;
            fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>",
                    ML + (s[k].x[i] - ax.lo) / (ax.hi - ax.lo) * pw,
                    MT + ph - (s[k].y[i] - ay.lo) / (ay.hi - ay.lo) * ph, col);
        }
        fprintf(fp, "\n");
        if (s[k].label) {
            double ly = MT + 14 + 15.0 * (double)k;
            fprintf(fp,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" class=\"lg\">",
                    ML + pw - 120, ly - 4, col, ML + pw - 104, ly);
            report_html_escape(fp, s[k].label);
            fprintf(fp, "</text>\n");
        }
    }
    fprintf(fp, "</svg>\n");
}
