/* flexos-explore: builds an image in every configuration of a trade-off
 * space (partition of its units into compartments, backend, trust), times
 * a benchmark on each against the fcall baseline and reports the safest
 * configurations within a budget (docs/explore.md). */
#ifndef FLEXOS_EXPLORE_H
#define FLEXOS_EXPLORE_H

#include <stddef.h>

#define EXPLORE_MAX_UNITS 16      /* a unit per compartment at most */
#define EXPLORE_MAX_WORDS 64      /* benchmark command, lists */

/* Mechanisms, weakest first.  Their strength is a partial order
 * (mechanism_at_least): proc and baremetal are incomparable. */
enum mechanism { MECH_FCALL, MECH_MPK_EMU, MECH_MPK_HW, MECH_PROC,
		 MECH_BAREMETAL, MECH_COUNT };

struct mechanism_info {
	const char *name;      /* as in BACKENDS and the results */
	const char *backend;   /* flexos_image(BACKEND ...) */
	const char *mpk_mode;  /* FLEXOS_MPK for the runs, or NULL */
	const char *short_name; /* in plot labels */
	int rank;              /* the safety score's factor */
	const char *guarantees; /* docs/threat-model.md, in a line */
};
extern const struct mechanism_info mechanisms[MECH_COUNT];
int mechanism_at_least(enum mechanism a, enum mechanism b);
int mechanism_by_name(const char *name);

enum trust { TRUST_NONE, TRUST_SANDBOXED };

struct config {
	const char *path;           /* the explore.conf read */
	const char *target;         /* the explored executable's target */
	/* [0]: the image itself; gate names (the generated builds name their
	 * targets so), and the targets of the project that explores. */
	const char *units[EXPLORE_MAX_UNITS];
	const char *unit_targets[EXPLORE_MAX_UNITS];
	int nunits;
	const char *image_options[EXPLORE_MAX_WORDS]; /* AUTO_GATES, ... */
	int nimage_options;
	const char *benchmark[EXPLORE_MAX_WORDS]; /* @IMAGE@ is the image */
	int nbenchmark;
	const char *package_dir, *parts, *cmake, *compiler, *build_type;
	const char *output_name, *directory, *gnuplot;
	double budget;
	double min_safety;          /* < 0: not asked */
	int runs, max_compartments, dry_run;
	int verify_pruned;          /* per pair of mechanisms (main.c) */
	int wanted[MECH_COUNT];     /* BACKENDS */
	int trust_wanted[2];        /* TRUST */
	const char *unavailable[MECH_COUNT]; /* why a mechanism is skipped */
	int together[EXPLORE_MAX_WORDS][2], ntogether; /* unit index pairs */
	int apart[EXPLORE_MAX_WORDS][2], napart;
};

enum status { ST_PENDING, ST_MEASURED, ST_FAILED, ST_PRUNED, ST_SKIPPED };

struct point {
	char id[64];           /* directory name: mechanism.partition.trust */
	char label[160];       /* plot label */
	enum mechanism mech;
	int block[EXPLORE_MAX_UNITS]; /* unit -> compartment; 0 is the default */
	int nblocks;
	enum trust trust;
	int score;             /* safety score (space.c) */
	enum status status;
	const char *why;       /* skipped, failed: the reason */
	int pruned_by;         /* index of the missed point that pruned it,
				* or at which the pruning rule failed */
	int verified;          /* pruned, but measured to check the rule */
	double ratio;          /* median of per-round ratios to fcall */
	double median_s, baseline_median_s;
	long private_kib, shared_kib; /* FLEXOS_STATS, summed; -1 unknown */
	long gates;            /* entry points flexos-gen generated; -1 unknown */
	long crossings;        /* gates taken in one run (FLEXOS_STATS, on
				* the C gate path only); -1 unknown */
	double seconds;        /* time spent building and running it */
};

/* config.c */
int config_load(struct config *cfg, int argc, char **argv);

/* space.c */
int space_enumerate(const struct config *cfg, struct point **points);
int point_at_least_as_safe(const struct point *a, const struct point *b);
void point_image_lines(const struct config *cfg, const struct point *p,
		       int project_names, char *out, size_t size);
const char *point_partition(const struct config *cfg, const struct point *p,
			    int by_name, char *out, size_t size);
/* A measured point that missed the budget and that points[p] is at least
 * as safe as: the reason to assume p misses it too.  -1 when none.  With
 * refuted, not a point of mechanism a when refuted[a][p's mechanism]. */
int point_missed_below(const struct config *cfg, const struct point *points,
		       int n, int p, const int (*refuted)[MECH_COUNT]);

/* measure.c */
void measure_baseline(const struct config *cfg, struct point *base);
/* points: the whole space, which p belongs to (a verified point's result
 * names the point that pruned it). */
void measure_point(const struct config *cfg, const struct point *points,
		   struct point *p);
int result_load(const struct config *cfg, struct point *points, int n,
		struct point *p);
const char *status_name(enum status s);

/* report.c */
int report_write(const struct config *cfg, struct point *points, int n);

/* Helpers (main.c). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
char *xstrdup(const char *s);
char *path_join(const char *dir, const char *name);

#endif
