/* A small SVG scatter/line plot: axes with "nice" ticks (1, 2 or 5 times a power of ten), grid, labels,
 * a legend, one marker shape per series. Plain SVG 1.1 that any browser shows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { WIDTH = 800, HEIGHT = 500, LEFT = 75, RIGHT = 215, TOP = 50, BOTTOM = 60 };

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
    }
}

/* Axis range [lo, hi] and tick step covering [min, max] with about five ticks. */
static void nice_axis(double min, double max, double *lo, double *hi, double *step)
{
    if (!(max > min)) {
        const double pad = fabs(min) > 0 ? fabs(min) * 0.1 : 0.1;
        min -= pad, max += pad;
    }
    /* A margin, so that no point sits on the frame. */
    const double margin = (max - min) * 0.04;
    min -= margin, max += margin;
    const double raw = (max - min) / 5;
    const double mag = pow(10, floor(log10(raw)));
    const double norm = raw / mag;
    *step = (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
    *lo = floor(min / *step) * *step;
    *hi = ceil(max / *step) * *step;
}

static void marker(FILE *f, int shape, double x, double y, const char *color)
{
    switch (shape) {
    case 1:
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\"/>\n", x - 4.5, y - 4.5, color);
        break;
    case 2:
        fprintf(f, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>\n", x, y - 6, x - 5.5, y + 4,
                x + 5.5, y + 4, color);
        break;
    case 3:
        fprintf(f, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>\n", x, y - 6.5, x + 5.5,
                y, x, y + 6.5, x - 5.5, y, color);
        break;
    default:
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x, y, color);
    }
}

/* Whether a label at (x, y) keeps 14 px from every label drawn so far; if so it is recorded. */
static int label_room(double (*drawn)[2], int *n, double x, double y)
{
    for (int i = 0; i < *n; i++)
        if (hypot(drawn[i][0] - x, drawn[i][1] - y) < 14)
            return 0;
    if (*n == 256)
        return 0;
    drawn[*n][0] = x, drawn[*n][1] = y;
    (*n)++;
    return 1;
}

int cli_svg_write(const char *path, const char *title, const char *xlabel, const char *ylabel,
                  const cli_plot_series *series, int n_series)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < series[s].n; i++) {
            const cli_plot_point *p = &series[s].pts[i];
            if (!isfinite(p->x) || !isfinite(p->y))
                continue;
            xmin = fmin(xmin, p->x), xmax = fmax(xmax, p->x), ymin = fmin(ymin, p->y), ymax = fmax(ymax, p->y);
        }
    if (!isfinite(xmin))
        xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    double x0, x1, xs, y0, y1, ys;
    nice_axis(xmin, xmax, &x0, &x1, &xs);
    nice_axis(ymin, ymax, &y0, &y1, &ys);
    const double pw = WIDTH - LEFT - RIGHT, ph = HEIGHT - TOP - BOTTOM;
#define PX(v) (LEFT + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (TOP + ph - ((v) - y0) / (y1 - y0) * ph)
    /* Into a temporary file beside PATH, renamed over it once complete: a plot from an earlier run is
     * replaced whole or not at all, never left half-written (an interrupted eval, a full disk). */
    const size_t tmp_len = strlen(path) + sizeof ".tmp.XXXXXX";
    char *tmp = malloc(tmp_len);
    if (!tmp)
        return -1;
    snprintf(tmp, tmp_len, "%s.tmp.XXXXXX", path);
    const int fd = mkstemp(tmp);
    FILE *f = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        const int e = errno;
        if (fd >= 0)
            close(fd), unlink(tmp);
        free(tmp);
        errno = e;
        return -1;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(f, "<text x=\"%d\" y=\"28\" font-size=\"15\" text-anchor=\"middle\">", (LEFT + WIDTH - RIGHT) / 2);
    xml_text(f, title);
    fprintf(f, "</text>\n");
    /* Grid and ticks. */
    for (int i = 0;; i++) {
        const double v = x0 + i * xs;
        if (v > x1 + xs * 1e-6)
            break;
        const double px = PX(v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", px, TOP, px, TOP + ph);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", px, TOP + ph, px,
                TOP + ph + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.6g</text>\n", px, TOP + ph + 19,
                fabs(v) < xs * 1e-6 ? 0.0 : v);
    }
    for (int i = 0;; i++) {
        const double v = y0 + i * ys;
        if (v > y1 + ys * 1e-6)
            break;
        const double py = PY(v);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", LEFT, py, LEFT + pw, py);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\"/>\n", LEFT - 5, py, LEFT, py);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.6g</text>\n", LEFT - 8, py + 4,
                fabs(v) < ys * 1e-6 ? 0.0 : v);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"black\"/>\n", LEFT, TOP,
            pw, ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", LEFT + pw / 2, HEIGHT - 15);
    xml_text(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\">", TOP + ph / 2);
    xml_text(f, ylabel);
    fprintf(f, "</text>\n");
    /* Series. */
    double drawn[256][2]; /* where labels were drawn */
    int n_drawn = 0;
    for (int s = 0; s < n_series; s++) {
        const cli_plot_series *se = &series[s];
        if (se->line && se->n > 1) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", se->color);
            for (int i = 0; i < se->n; i++)
                if (isfinite(se->pts[i].x) && isfinite(se->pts[i].y))
                    fprintf(f, "%s%.1f,%.1f", i ? " " : "", PX(se->pts[i].x), PY(se->pts[i].y));
            fprintf(f, "\"/>\n");
        }
        for (int i = 0; i < se->n; i++) {
            const cli_plot_point *p = &se->pts[i];
            if (!isfinite(p->x) || !isfinite(p->y))
                continue;
            marker(f, se->marker, PX(p->x), PY(p->y), se->color);
            if (p->label && label_room(drawn, &n_drawn, PX(p->x), PY(p->y))) {
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#444\">", PX(p->x) + 6, PY(p->y) - 6);
                xml_text(f, p->label);
                fprintf(f, "</text>\n");
            }
        }
    }
    /* Legend, right of the plot. */
    const double lx = LEFT + pw + 20;
    for (int s = 0, row = 0; s < n_series; s++) {
        if (series[s].n == 0)
            continue;
        const double ly = TOP + 10 + row++ * 22;
        if (series[s].line)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                    lx - 8, ly, lx + 8, ly, series[s].color);
        marker(f, series[s].marker, lx, ly, series[s].color);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", lx + 15, ly + 4);
        xml_text(f, series[s].name);
        fprintf(f, "</text>\n");
    }
#undef PX
#undef PY
    fprintf(f, "</svg>\n");
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    const int e = errno;
    bad |= fclose(f) != 0;
    if (!bad && rename(tmp, path) == 0) {
        free(tmp);
        return 0;
    }
    unlink(tmp);
    free(tmp);
    errno = e ? e : EIO;
    return -1;
}
