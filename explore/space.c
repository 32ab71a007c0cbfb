/* The space explored: every partition of the image's units into
 * compartments (unit 0, the image's own code, always in the default
 * compartment), on every mechanism, with and without trust; and the
 * "safer than" order over it (docs/explore.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

const struct mechanism_info mechanisms[MECH_COUNT] = {
	[MECH_FCALL] = { "fcall", "fcall", NULL, "fcall", 0,
		"none: gates are plain calls" },
	[MECH_MPK_EMU] = { "mpk-emu", "mpk", "emu", "emu", 1,
		"private memory closed with mprotect while another "
		"compartment runs; threads of different compartments reach "
		"each other" },
	[MECH_MPK_HW] = { "mpk-hw", "mpk", "hw", "hw", 2,
		"private memory per thread (PKRU), two checked WRPKRUs per "
		"gate, no other PKRU writer" },
	[MECH_PROC] = { "proc", "proc", NULL, "proc", 3,
		"private memory mapped only in its owner's process; a "
		"compromised compartment can crash only its own process" },
	[MECH_BAREMETAL] = { "baremetal", "baremetal", NULL, "bm", 3,
		"hardware keys as mpk-hw, under FlexOS's own kernel "
		"(supervisor-only kernel pages)" },
};

int mechanism_by_name(const char *name)
{
	for (int m = 0; m < MECH_COUNT; m++)
		if (!strcmp(mechanisms[m].name, name))
			return m;
	return -1;
}

/* fcall < mpk-emu < mpk-hw < {proc, baremetal}: each enforces at least
 * what the one before it does.  proc and baremetal are incomparable: proc
 * keeps private memory out of other processes but trusts Linux; baremetal
 * shares an address space but runs under a kernel of its own. */
int mechanism_at_least(enum mechanism a, enum mechanism b)
{
	if (a == b || b == MECH_FCALL)
		return 1;
	if (a == MECH_FCALL)
		return 0;
	if (b == MECH_MPK_EMU)
		return 1;
	return b == MECH_MPK_HW && a != MECH_MPK_EMU;
}

/* Whether unit u may touch unit v's private memory in p: on fcall always;
 * elsewhere within a compartment, and from the default compartment into
 * its sandboxes. */
static int reaches(const struct point *p, int u, int v)
{
	if (p->mech == MECH_FCALL || p->block[u] == p->block[v])
		return 1;
	return p->trust == TRUST_SANDBOXED && p->block[u] == 0;
}

int point_at_least_as_safe(const struct point *a, const struct point *b)
{
	if (!mechanism_at_least(a->mech, b->mech))
		return 0;
	for (int u = 0; u < EXPLORE_MAX_UNITS; u++)
		for (int v = 0; v < EXPLORE_MAX_UNITS; v++)
			if (reaches(a, u, v) && !reaches(b, u, v))
				return 0;
	return 1;
}

/* The mechanism's rank times the ordered pairs of units kept apart: a
 * point at least as safe as another never scores less. */
static int score(const struct point *p, int nunits)
{
	int apart = 0;

	for (int u = 0; u < nunits; u++)
		for (int v = 0; v < nunits; v++)
			apart += !reaches(p, u, v);
	return mechanisms[p->mech].rank * apart;
}

/* Compartment c's name: its units' gate names joined by '_'. */
static void compartment_name(const struct config *cfg, const struct point *p,
			     int c, char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (int u = 0; u < cfg->nunits; u++)
		if (p->block[u] == c)
			len += (size_t)snprintf(out + len, size - len, "%s%s",
						len ? "_" : "", cfg->units[u]);
}

/* "0 2|1|3": the units, compartment by compartment, by index or by name. */
const char *point_partition(const struct config *cfg, const struct point *p,
			    int by_name, char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (int c = 0; c < p->nblocks; c++) {
		int first = 1;

		for (int u = 0; u < cfg->nunits; u++)
			if (p->block[u] == c) {
				char index[8];

				snprintf(index, sizeof(index), "%d", u);
				len += (size_t)snprintf(out + len, size - len,
							"%s%s%s", c && first ? "|" : "",
							first ? "" : " ",
							by_name ? cfg->units[u] : index);
				first = 0;
			}
	}
	return out;
}

void point_image_lines(const struct config *cfg, const struct point *p,
		       int project_names, char *out, size_t size)
{
	const char *const *names = project_names ? cfg->unit_targets
						 : cfg->units;
	size_t len = (size_t)snprintf(out, size, "flexos_image(%s BACKEND %s",
				      names[0], mechanisms[p->mech].backend);

	for (int i = 0; i < cfg->nimage_options; i++)
		len += (size_t)snprintf(out + len, size - len, " %s",
					cfg->image_options[i]);
	for (int c = 1; c < p->nblocks; c++) {
		char name[512];

		compartment_name(cfg, p, c, name, sizeof(name));
		len += (size_t)snprintf(out + len, size - len,
					"\n  COMPARTMENT %s LIBRARIES", name);
		for (int u = 0; u < cfg->nunits; u++)
			if (p->block[u] == c)
				len += (size_t)snprintf(out + len, size - len,
							" %s", names[u]);
		if (p->trust == TRUST_SANDBOXED)
			len += (size_t)snprintf(out + len, size - len,
						" SANDBOXED_BY %s", cfg->units[0]);
	}
	snprintf(out + len, size - len, ")");
}

static int allowed(const struct config *cfg, const int *block, int nblocks)
{
	if (nblocks > cfg->max_compartments)
		return 0;
	for (int i = 0; i < cfg->ntogether; i++)
		if (block[cfg->together[i][0]] != block[cfg->together[i][1]])
			return 0;
	for (int i = 0; i < cfg->napart; i++)
		if (block[cfg->apart[i][0]] == block[cfg->apart[i][1]])
			return 0;
	return 1;
}

static struct point *add_point(const struct config *cfg, struct point **points,
			       int *n, const int *block, int nblocks,
			       enum mechanism mech, enum trust trust)
{
	struct point *p;
	char partition[128], digits[EXPLORE_MAX_UNITS + 1];

	*points = realloc(*points, (size_t)(*n + 1) * sizeof(**points));
	if (!*points)
		die("out of memory");
	p = &(*points)[(*n)++];
	memset(p, 0, sizeof(*p));
	memcpy(p->block, block, sizeof(p->block));
	p->nblocks = nblocks;
	p->mech = mech;
	p->trust = trust;
	p->score = score(p, cfg->nunits);
	p->pruned_by = -1;
	p->private_kib = p->shared_kib = p->gates = p->crossings = -1;
	for (int u = 0; u < cfg->nunits; u++)
		digits[u] = (char)('0' + block[u]);
	digits[cfg->nunits] = 0;
	snprintf(p->id, sizeof(p->id), "%s.%s.%s", mechanisms[mech].name,
		 digits, trust == TRUST_SANDBOXED ? "sandboxed" : "distrust");
	point_partition(cfg, p, 0, partition, sizeof(partition));
	snprintf(p->label, sizeof(p->label), "%s %s%s",
		 mechanisms[mech].short_name, partition,
		 trust == TRUST_SANDBOXED ? " s" : "");
	if (cfg->unavailable[mech]) {
		p->status = ST_SKIPPED;
		p->why = cfg->unavailable[mech];
	}
	return p;
}

/* Measured from the least safe up, so that a missed budget can prune
 * what lies above it. */
static int by_safety(const void *x, const void *y)
{
	const struct point *a = x, *b = y;

	if (a->score != b->score)
		return a->score - b->score;
	if (a->mech != b->mech)
		return (int)a->mech - (int)b->mech;
	return strcmp(a->id, b->id);
}

/* Points [0] is the fcall baseline; partitions come as restricted growth
 * strings (unit u's compartment is at most one more than any before
 * it), so each is generated once. */
int space_enumerate(const struct config *cfg, struct point **points)
{
	int block[EXPLORE_MAX_UNITS] = { 0 }, n = 0, nunits = cfg->nunits;

	add_point(cfg, points, &n, block, 1, MECH_FCALL, TRUST_NONE);
	for (;;) {
		int nblocks = 0;

		for (int u = 0; u < nunits; u++)
			if (block[u] + 1 > nblocks)
				nblocks = block[u] + 1;
		if (allowed(cfg, block, nblocks))
			for (int m = MECH_MPK_EMU; m < MECH_COUNT; m++) {
				if (!cfg->wanted[m])
					continue;
				for (int t = TRUST_NONE; t <= TRUST_SANDBOXED; t++)
					if (cfg->trust_wanted[t] &&
					    (t == TRUST_NONE || nblocks > 1))
						add_point(cfg, points, &n, block,
							  nblocks, m, t);
			}
		/* The next restricted growth string; unit 0 stays at 0. */
		int u = nunits - 1;

		for (; u > 0; u--) {
			int max = 0;

			for (int v = 0; v < u; v++)
				if (block[v] > max)
					max = block[v];
			if (block[u] <= max) {
				block[u]++;
				break;
			}
			block[u] = 0;
		}
		if (u == 0)
			break;
	}
	qsort(*points + 1, (size_t)(n - 1), sizeof(**points), by_safety);
	return n;
}

int point_missed_below(const struct config *cfg, const struct point *points,
		       int n, int p, const int (*refuted)[MECH_COUNT])
{
	for (int i = 1; i < n; i++)
		if (i != p && points[i].status == ST_MEASURED &&
		    points[i].ratio > cfg->budget &&
		    !(refuted && refuted[points[i].mech][points[p].mech]) &&
		    point_at_least_as_safe(&points[p], &points[i]))
			return i;
	return -1;
}
