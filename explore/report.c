/* What an exploration found, in the exploration directory: results.txt
 * (also printed), results.csv, results.json, the plot (plot.svg,
 * plot.png, from plot.gp and plot.dat) and recommended.cmake, the
 * flexos_image() call to paste. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "explore.h"

static FILE *create(const struct config *cfg, const char *name)
{
	char *path = path_join(cfg->directory, name);
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot write %s", path);
	free(path);
	return f;
}

static void finish(FILE *f, const char *name)
{
	if (ferror(f) | fclose(f))
		die("cannot write %s", name);
}

static int measured(const struct point *p)
{
	return p->status == ST_MEASURED;
}

/* On the Pareto front: no measured point is as cheap and as safe (by
 * score) and better in one of the two. */
static int on_front(const struct point *points, int n, int p)
{
	if (!measured(&points[p]))
		return 0;
	for (int i = 0; i < n; i++) {
		const struct point *q = &points[i], *a = &points[p];

		if (i != p && measured(q) && q->ratio <= a->ratio &&
		    q->score >= a->score &&
		    (q->ratio < a->ratio || q->score > a->score))
			return 0;
	}
	return 1;
}

static const char *note(const struct point *points, const struct point *p,
			char *out, size_t size)
{
	if (p->status == ST_PRUNED)
		snprintf(out, size, "assumed over budget: at least as safe as %s",
			 points[p->pruned_by].id);
	else if (p->why)
		snprintf(out, size, "%s", p->why);
	else if (p->verified)
		snprintf(out, size, "pruned by the rule, measured to check it");
	else
		out[0] = 0;
	return out;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	fputc('"', f);
}

/* CSV fields are quoted when they hold a comma or a quote. */
static void csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"")) {
		fputc('"', f);
		for (; *s; s++)
			fprintf(f, *s == '"' ? "\"\"" : "%c", *s);
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void write_csv(const struct config *cfg, const struct point *points,
		      int n, const int *front)
{
	FILE *f = create(cfg, "results.csv");

	fputs("id,label,mechanism,backend,partition,compartments,trust,safety,"
	      "status,ratio,median_s,baseline_median_s,private_kib,shared_kib,"
	      "gates,crossings,on_front,note,guarantees\n", f);
	for (int i = 0; i < n; i++) {
		const struct point *p = &points[i];
		char partition[512], text[512];

		csv_field(f, p->id, 0);
		csv_field(f, p->label, 0);
		csv_field(f, mechanisms[p->mech].name, 0);
		csv_field(f, mechanisms[p->mech].backend, 0);
		csv_field(f, point_partition(cfg, p, 1, partition,
					     sizeof(partition)), 0);
		fprintf(f, "%d,%s,%d,%s,", p->nblocks,
			p->trust == TRUST_SANDBOXED ? "sandboxed" : "distrust",
			p->score, status_name(p->status));
		if (measured(p))
			fprintf(f, "%.4f,%.6f,%.6f,", p->ratio, p->median_s,
				p->baseline_median_s);
		else
			fputs(",,,", f);
		fprintf(f, p->private_kib >= 0 ? "%ld,%ld," : ",,",
			p->private_kib, p->shared_kib);
		fprintf(f, p->gates >= 0 ? "%ld," : ",", p->gates);
		fprintf(f, p->crossings >= 0 ? "%ld," : ",", p->crossings);
		fprintf(f, "%d,", front[i]);
		csv_field(f, note(points, p, text, sizeof(text)), 0);
		csv_field(f, mechanisms[p->mech].guarantees, 1);
	}
	finish(f, "results.csv");
}

struct verdict {
	int recommended;      /* safest within budget, cheapest among equals */
	int within;           /* the safest within budget: how many */
	int cheapest_at;      /* cheapest at MIN_SAFETY or above, or -1 */
	int assumption_checked, assumption_failed;
};

static void write_json(const struct config *cfg, const struct point *points,
		       int n, const int *front, const struct verdict *v)
{
	FILE *f = create(cfg, "results.json");

	fprintf(f, "{\n  \"target\": ");
	json_string(f, cfg->target);
	fprintf(f, ",\n  \"budget\": %.4f,\n  \"runs\": %d,\n  \"units\": [",
		cfg->budget, cfg->runs);
	for (int u = 0; u < cfg->nunits; u++) {
		fputs(u ? ", " : "", f);
		json_string(f, cfg->units[u]);
	}
	fprintf(f, "],\n  \"budget_met\": %s,\n  \"recommended\": ",
		v->within ? "true" : "false");
	if (v->within)
		json_string(f, points[v->recommended].id);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"pruning_checked\": %d,\n  \"pruning_failed\": %d,\n"
		"  \"points\": [", v->assumption_checked, v->assumption_failed);
	for (int i = 0; i < n; i++) {
		const struct point *p = &points[i];
		char partition[512], text[512];

		fprintf(f, "%s\n    {\"id\": ", i ? "," : "");
		json_string(f, p->id);
		fputs(", \"label\": ", f);
		json_string(f, p->label);
		fputs(", \"mechanism\": ", f);
		json_string(f, mechanisms[p->mech].name);
		fputs(", \"partition\": ", f);
		json_string(f, point_partition(cfg, p, 1, partition,
					       sizeof(partition)));
		fprintf(f, ", \"compartments\": %d, \"trust\": \"%s\", "
			"\"safety\": %d, \"status\": \"%s\"", p->nblocks,
			p->trust == TRUST_SANDBOXED ? "sandboxed" : "distrust",
			p->score, status_name(p->status));
		if (measured(p))
			fprintf(f, ", \"ratio\": %.4f, \"median_s\": %.6f, "
				"\"baseline_median_s\": %.6f", p->ratio,
				p->median_s, p->baseline_median_s);
		if (p->private_kib >= 0)
			fprintf(f, ", \"private_kib\": %ld, \"shared_kib\": %ld",
				p->private_kib, p->shared_kib);
		if (p->gates >= 0)
			fprintf(f, ", \"gates\": %ld", p->gates);
		if (p->crossings >= 0)
			fprintf(f, ", \"crossings\": %ld", p->crossings);
		if (p->status == ST_PRUNED || p->verified) {
			fputs(", \"pruned_by\": ", f);
			json_string(f, p->pruned_by >= 0
					       ? points[p->pruned_by].id : "");
		}
		fprintf(f, ", \"on_front\": %s, \"note\": ",
			front[i] ? "true" : "false");
		json_string(f, note(points, p, text, sizeof(text)));
		fputs(", \"guarantees\": ", f);
		json_string(f, mechanisms[p->mech].guarantees);
		fputs("}", f);
	}
	fputs("\n  ]\n}\n", f);
	finish(f, "results.json");
}

/* The plot: cost against safety score, every measured point labelled,
 * the front joined in red, the budget dashed.  Returns gnuplot's status. */
static int write_plot(const struct config *cfg, const struct point *points,
		      int n, const int *front)
{
	FILE *dat = create(cfg, "plot.dat"), *gp = create(cfg, "plot.gp");
	double top = cfg->budget;
	char *command, units[1024] = "";
	size_t len = 0;
	int status;

	/* Block 0: every measured point; block 1: the front, by safety. */
	fputs("# safety ratio label\n", dat);
	for (int i = 0; i < n; i++)
		if (measured(&points[i])) {
			fprintf(dat, "%d %.4f \"%s\"\n", points[i].score,
				points[i].ratio, points[i].label);
			if (points[i].ratio > top)
				top = points[i].ratio;
		}
	fputs("\n\n", dat);
	for (int last = -1;;) {
		int next = -1;

		for (int i = 0; i < n; i++)
			if (front[i] && points[i].score > last &&
			    (next < 0 || points[i].score < points[next].score))
				next = i;
		if (next < 0)
			break;
		fprintf(dat, "%d %.4f \"%s\"\n", points[next].score,
			points[next].ratio, points[next].label);
		last = points[next].score;
	}
	finish(dat, "plot.dat");
	for (int u = 0; u < cfg->nunits; u++)
		len += (size_t)snprintf(units + len, sizeof(units) - len,
					"%s%d %s", u ? ", " : "", u,
					cfg->units[u]);
	fprintf(gp,
		"# Generated by flexos-explore; gnuplot plot.gp draws plot.svg "
		"and plot.png.\n"
		"set title \"%s: cost against safety (units: %s)\" noenhanced\n"
		"set xlabel \"safety score (mechanism rank x unit pairs kept "
		"apart)\"\n"
		"set ylabel \"cost (x fcall, median of %d rounds)\"\n"
		"set grid\nset key top left\n"
		"set yrange [0:%.3f]\nset offsets graph 0.03, graph 0.2, 0, 0\n"
		"set style line 1 pt 7 ps 0.8 lc rgb '#3060a0'\n"
		"set style line 2 pt 7 ps 1.2 lc rgb '#d02020' lw 2\n"
		"plot %.4f with lines dt 2 lc rgb '#808080' title 'budget "
		"%.2fx', \\\n"
		"  'plot.dat' index 0 using 1:2 with points ls 1 title "
		"'measured', \\\n"
		"  'plot.dat' index 1 using 1:2 with linespoints ls 2 title "
		"'Pareto front', \\\n"
		"  'plot.dat' index 0 using 1:2:3 with labels noenhanced "
		"font ',7' offset 0.5,0.6 left rotate by 20 notitle\n",
		cfg->target, units, cfg->runs, top * 1.15, cfg->budget,
		cfg->budget);
	finish(gp, "plot.gp");
	if (asprintf(&command,
		     "cd '%s' && '%s' -e \"set terminal svg size 1000,650 "
		     "dynamic font 'sans,10'; set output 'plot.svg'\" plot.gp && "
		     "'%s' -e \"set terminal pngcairo size 1000,650 font "
		     "'sans,10'; set output 'plot.png'\" plot.gp",
		     cfg->directory, cfg->gnuplot ? cfg->gnuplot : "gnuplot",
		     cfg->gnuplot ? cfg->gnuplot : "gnuplot") < 0)
		die("out of memory");
	status = system(command);
	free(command);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Whether p is an isolating point (it keeps some units apart) measured
 * within the budget. */
static int isolating_within(const struct config *cfg, const struct point *p)
{
	return measured(p) && p->score > 0 && p->ratio <= cfg->budget;
}

static struct verdict judge(const struct config *cfg, struct point *points,
			    int n, int *safest)
{
	struct verdict v = { -1, 0, -1, 0, 0 };

	for (int i = 1; i < n; i++) {
		struct point *p = &points[i];

		if (!measured(p))
			continue;
		/* The safest within budget: no point within budget is
		 * strictly safer in the order; recommended, the one of them
		 * with the highest score, the cheapest among equals. */
		safest[i] = isolating_within(cfg, p);
		for (int j = 1; j < n && safest[i]; j++)
			if (j != i && isolating_within(cfg, &points[j]) &&
			    point_at_least_as_safe(&points[j], p) &&
			    !point_at_least_as_safe(p, &points[j]))
				safest[i] = 0;
		if (safest[i]) {
			const struct point *r = &points[v.recommended];

			v.within++;
			if (v.recommended < 0 || p->score > r->score ||
			    (p->score == r->score && p->ratio < r->ratio))
				v.recommended = i;
		}
		if (cfg->min_safety > 0 && p->score >= cfg->min_safety &&
		    (v.cheapest_at < 0 || p->ratio < points[v.cheapest_at].ratio))
			v.cheapest_at = i;
		/* The pruning rule, checked on what was measured. */
		int witness = point_missed_below(cfg, points, n, i, NULL);

		if (witness >= 0) {
			v.assumption_checked++;
			if (p->ratio <= cfg->budget) {
				v.assumption_failed++;
				p->pruned_by = witness;
			}
		}
	}
	return v;
}

static void print_table(FILE *f, const struct config *cfg,
			const struct point *points, int n, const int *front,
			const int *safest, const struct verdict *v)
{
	char text[512], lines[4096];

	fprintf(f, "exploration of %s: %d configurations, budget %.2fx fcall, "
		"%d rounds each (units:", cfg->target, n, cfg->budget,
		cfg->runs);
	for (int u = 0; u < cfg->nunits; u++)
		fprintf(f, " %d %s", u, cfg->units[u]);
	fprintf(f, ")\n\n%-34s %-18s %6s %-8s %8s %9s %8s %5s %9s  %s\n",
		"id", "label", "safety", "status", "x fcall", "priv KiB",
		"shr KiB", "gates", "crossings", "note");
	for (int i = 0; i < n; i++) {
		const struct point *p = &points[i];
		char ratio[24] = "-", priv[24] = "-", shr[24] = "-";
		char gates[24] = "-", crossings[24] = "-";

		if (measured(p))
			snprintf(ratio, sizeof(ratio), "%.3f%s", p->ratio,
				 front[i] ? "*" : "");
		if (p->private_kib >= 0) {
			snprintf(priv, sizeof(priv), "%ld", p->private_kib);
			snprintf(shr, sizeof(shr), "%ld", p->shared_kib);
		}
		if (p->gates >= 0)
			snprintf(gates, sizeof(gates), "%ld", p->gates);
		if (p->crossings >= 0)
			snprintf(crossings, sizeof(crossings), "%ld", p->crossings);
		fprintf(f, "%-34s %-18s %6d %-8s %8s %9s %8s %5s %9s  %s\n",
			p->id, p->label, p->score, status_name(p->status), ratio,
			priv, shr, gates, crossings,
			note(points, p, text, sizeof(text)));
	}
	fputs("(* on the Pareto front)\n\n", f);
	fprintf(f, "pruning rule (a configuration at least as safe as one "
		"over budget is over budget too): checked on %d measured "
		"configurations, failed on %d\n", v->assumption_checked,
		v->assumption_failed);
	for (int i = 1; i < n; i++)
		if (measured(&points[i]) && points[i].ratio <= cfg->budget &&
		    points[i].pruned_by >= 0)
			fprintf(f, "  fails at %s (%.3fx): at least as safe as "
				"%s (%.3fx)\n", points[i].id, points[i].ratio,
				points[points[i].pruned_by].id,
				points[points[i].pruned_by].ratio);
	if (!v->within) {
		int order[3], norder = 0;

		fprintf(f, "\nno configuration that keeps units apart meets the "
			"budget of %.2fx fcall; the nearest:\n", cfg->budget);
		/* The three cheapest that keep units apart, cheapest first. */
		for (int i = 1; i < n; i++) {
			int at = norder;

			if (!measured(&points[i]) || !points[i].score)
				continue;
			while (at > 0 && points[order[at - 1]].ratio > points[i].ratio) {
				if (at < 3)
					order[at] = order[at - 1];
				at--;
			}
			if (at < 3)
				order[at] = i;
			if (norder < 3)
				norder++;
		}
		for (int k = 0; k < norder; k++)
			fprintf(f, "  %s (%s): %.3fx, safety %d\n",
				points[order[k]].id, points[order[k]].label,
				points[order[k]].ratio, points[order[k]].score);
	} else {
		const struct point *r = &points[v->recommended];

		fprintf(f, "\nsafest within %.2fx fcall:", cfg->budget);
		for (int i = 1; i < n; i++)
			if (safest[i])
				fprintf(f, " %s (%.3fx, safety %d)", points[i].id,
					points[i].ratio, points[i].score);
		point_image_lines(cfg, r, 1, lines, sizeof(lines));
		fprintf(f, "\n\nrecommended: %s, %.3fx fcall, safety %d\n%s\n",
			r->id, r->ratio, r->score, lines);
		if (mechanisms[r->mech].mpk_mode)
			fprintf(f, "# run it with FLEXOS_MPK=%s\n",
				mechanisms[r->mech].mpk_mode);
	}
	if (cfg->min_safety > 0) {
		if (v->cheapest_at >= 0)
			fprintf(f, "\ncheapest at safety %.0f or more: %s, %.3fx "
				"fcall, safety %d\n", cfg->min_safety,
				points[v->cheapest_at].id,
				points[v->cheapest_at].ratio,
				points[v->cheapest_at].score);
		else
			fprintf(f, "\nno measured configuration has safety "
				"%.0f or more\n", cfg->min_safety);
	}
	fputs("\ncheapest at each safety (the Pareto front):", f);
	for (int i = 0; i < n; i++)
		if (front[i])
			fprintf(f, " %s %.3fx;", points[i].label, points[i].ratio);
	fputc('\n', f);
}

int report_write(const struct config *cfg, struct point *points, int n)
{
	int *front = calloc((size_t)n, sizeof(*front));
	int *safest = calloc((size_t)n, sizeof(*safest));
	struct verdict v;
	int status;

	if (!front || !safest)
		die("out of memory");
	for (int i = 0; i < n; i++)
		front[i] = on_front(points, n, i);
	v = judge(cfg, points, n, safest);
	write_csv(cfg, points, n, front);
	write_json(cfg, points, n, front, &v);
	FILE *txt = create(cfg, "results.txt");

	print_table(txt, cfg, points, n, front, safest, &v);
	print_table(stdout, cfg, points, n, front, safest, &v);
	finish(txt, "results.txt");
	if (v.within) {
		FILE *rec = create(cfg, "recommended.cmake");
		char lines[4096];

		point_image_lines(cfg, &points[v.recommended], 1, lines,
				  sizeof(lines));
		fprintf(rec, "# The safest configuration of %s measured within "
			"%.2fx fcall (flexos-explore).\n%s\n", cfg->target,
			cfg->budget, lines);
		finish(rec, "recommended.cmake");
	} else {
		char *stale = path_join(cfg->directory, "recommended.cmake");

		unlink(stale);
		free(stale);
	}
	status = write_plot(cfg, points, n, front);
	free(front);
	free(safest);
	if (status != 0) {
		fprintf(stderr, "flexos-explore: gnuplot failed (status %d): "
			"plot.gp and plot.dat are in %s\n", status,
			cfg->directory);
		return 1;
	}
	printf("\nresults: %s/results.{txt,csv,json}, plot: %s/plot.svg and "
	       "plot.png\n", cfg->directory, cfg->directory);
	return 0;
}
