/* flexos-explore <explore.conf> [options]: the exploration's loop.  Points
 * are taken from the least safe up; one safer than a point that already
 * missed the budget is pruned (docs/explore.md), and a finished point,
 * whose result file exists, is never redone: an interrupted exploration
 * resumes where it stopped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("flexos-explore: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		die("out of memory");
	return copy;
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);

	if (!path)
		die("out of memory");
	snprintf(path, n, "%s/%s", dir, name);
	return path;
}

/* A pruned point measured to check the rule: counted for its pair of
 * mechanisms, which the rule no longer covers if the point met the
 * budget (then returns 1). */
static int check_done(const struct config *cfg, const struct point *points,
		      const struct point *p, int verified[][MECH_COUNT],
		      int refuted[][MECH_COUNT])
{
	enum mechanism from = points[p->pruned_by].mech;

	verified[from][p->mech]++;
	if (p->status != ST_MEASURED || p->ratio > cfg->budget)
		return 0;
	refuted[from][p->mech] = 1;
	printf("flexos-explore: the pruning rule failed at %s (%.3fx): %s "
	       "points no longer prune %s points\n", p->id, p->ratio,
	       mechanisms[from].name, mechanisms[p->mech].name);
	return 1;
}

static void print_minutes(double seconds)
{
	if (seconds < 90)
		printf("%.0f s", seconds);
	else
		printf("%.0f min", seconds / 60);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct point *points = NULL;
	int n, runnable = 0, earlier = 0, measured_now = 0;
	/* Pruned points measured anyway, by the mechanism of the point that
	 * pruned them and their own: the rule is checked across mechanisms,
	 * where it is least sure, as well as within one. */
	int verified[MECH_COUNT][MECH_COUNT] = { { 0 } };
	/* Pairs where a check found the rule wrong: no longer trusted. */
	int refuted[MECH_COUNT][MECH_COUNT] = { { 0 } };
	double spent = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	config_load(&cfg, argc, argv);
	n = space_enumerate(&cfg, &points);
	for (int i = 1; i < n; i++) {
		if (points[i].status == ST_SKIPPED)
			continue;
		runnable++;
		if (result_load(&cfg, points, n, &points[i]))
			earlier++;
	}
	/* Earlier checks of the rule count while the point that pruned them
	 * is over this run's budget. */
	for (int i = 1; i < n; i++) {
		if (points[i].verified &&
		    points[points[i].pruned_by].ratio <= cfg.budget)
			points[i].verified = 0;
		if (points[i].verified)
			check_done(&cfg, points, &points[i], verified, refuted);
	}
	printf("flexos-explore: %s: %d configurations besides the fcall "
	       "baseline, %d to run (%d finished earlier), budget %.2fx fcall, "
	       "%d runs each\n", cfg.target, n - 1, runnable, earlier,
	       cfg.budget, cfg.runs);
	for (int m = 0; m < MECH_COUNT; m++)
		if (cfg.unavailable[m] && cfg.wanted[m])
			printf("flexos-explore: %s skipped: %s\n",
			       mechanisms[m].name, cfg.unavailable[m]);
	if (cfg.dry_run) {
		for (int i = 0; i < n; i++)
			printf("  %-40s %-16s safety %3d  %s\n", points[i].id,
			       points[i].label, points[i].score,
			       status_name(points[i].status));
		return 0;
	}
	measure_baseline(&cfg, &points[0]);
	/* A pass over the space; another when a check refuted the rule for
	 * a pair of mechanisms, for the points it had pruned. */
	for (int again = 1; again;) {
		again = 0;
		for (int i = 1; i < n; i++) {
			struct point *p = &points[i];
			int witness, left = 0;

			if (p->status == ST_PRUNED &&
			    refuted[points[p->pruned_by].mech][p->mech])
				p->status = ST_PENDING;
			if (p->status != ST_PENDING)
				continue;
			witness = point_missed_below(&cfg, points, n, i, refuted);
			if (witness >= 0) {
				int *checks = &verified[points[witness].mech][p->mech];

				p->pruned_by = witness;
				if (*checks >= cfg.verify_pruned) {
					p->status = ST_PRUNED;
					printf("flexos-explore: pruned %s: at least as "
					       "safe as %s, which costs %.2fx\n", p->id,
					       points[witness].id,
					       points[witness].ratio);
					continue;
				}
				/* Measured all the same, to check the rule. */
				p->verified = 1;
			}
			for (int j = i; j < n; j++)
				left += points[j].status == ST_PENDING;
			printf("flexos-explore: [%d] building and running %s (%s)%s; "
			       "at most %d left", earlier + measured_now + 1, p->id,
			       p->label, p->verified ? ", pruned but measured to "
			       "check the rule" : "", left);
			if (measured_now) {
				printf(", about ");
				print_minutes(spent / measured_now * left);
			}
			printf("\n");
			measure_point(&cfg, points, p);
			if (p->verified)
				again |= check_done(&cfg, points, p, verified, refuted);
			spent += p->seconds;
			measured_now++;
			if (p->status == ST_MEASURED)
				printf("flexos-explore:   %.3fx fcall (median of %d "
				       "rounds), %s\n", p->ratio, cfg.runs,
				       p->ratio <= cfg.budget ? "within budget"
							     : "over budget");
			else
				printf("flexos-explore:   failed: %s\n", p->why);
		}
	}
	printf("flexos-explore: measured %d new configurations (%d finished "
	       "earlier)\n", measured_now, earlier);
	return report_write(&cfg, points, n);
}
