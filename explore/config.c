/* The exploration's settings: explore.conf, written by flexos_explore()
 * (cmake/FlexOSExplore.cmake), one "key value" per line, then the command
 * line's overrides.  A bad value stops here, naming the setting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explore.h"

static const char usage[] =
	"usage: flexos-explore <explore.conf> [--budget <ratio>] [--runs <n>]\n"
	"         [--max-compartments <n>] [--backends <a,b,...>]\n"
	"         [--trust <none,sandboxed>] [--min-safety <score>]\n"
	"         [--verify-pruned <n>] [--dry-run]\n";

static double parse_positive(const char *setting, const char *text)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end || !(v > 0))
		die("%s: '%s' is not a number above 0", setting, text);
	return v;
}

static int parse_count(const char *setting, const char *text, int min)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end || v < min || v > 1000)
		die("%s: '%s' is not a whole number from %d to 1000", setting,
		    text, min);
	return (int)v;
}

static int unit_index(const struct config *cfg, const char *setting,
		      const char *name)
{
	for (int i = 0; i < cfg->nunits; i++)
		if (!strcmp(cfg->units[i], name))
			return i;
	die("%s: '%s' is not a unit of the image (the image '%s' or a static "
	    "library it links)", setting, name, cfg->units[0]);
}

/* TOGETHER and APART name two units or more: every pair of them. */
static void add_pairs(const struct config *cfg, const char *setting,
		      char *names, int pairs[][2], int *npairs)
{
	int members[EXPLORE_MAX_UNITS], n = 0;

	for (char *w = strtok(names, " "); w; w = strtok(NULL, " ")) {
		if (n == EXPLORE_MAX_UNITS)
			die("%s: too many names", setting);
		members[n++] = unit_index(cfg, setting, w);
	}
	if (n < 2)
		die("%s: needs two units or more", setting);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			if (*npairs == EXPLORE_MAX_WORDS)
				die("%s: too many pairs", setting);
			pairs[*npairs][0] = members[i];
			pairs[(*npairs)++][1] = members[j];
		}
}

/* A comma- or space-separated list of mechanisms (BACKENDS). */
static void parse_backends(struct config *cfg, const char *setting,
			   const char *text)
{
	char *copy = xstrdup(text);

	memset(cfg->wanted, 0, sizeof(cfg->wanted));
	for (char *w = strtok(copy, ", "); w; w = strtok(NULL, ", ")) {
		int m = mechanism_by_name(w);

		if (m < 0)
			die("%s: unknown mechanism '%s' (known: fcall, mpk-emu, "
			    "mpk-hw, proc, baremetal)", setting, w);
		cfg->wanted[m] = 1;
	}
	free(copy);
}

static void parse_trust(struct config *cfg, const char *setting,
			const char *text)
{
	char *copy = xstrdup(text);

	memset(cfg->trust_wanted, 0, sizeof(cfg->trust_wanted));
	for (char *w = strtok(copy, ", "); w; w = strtok(NULL, ", ")) {
		if (!strcmp(w, "none"))
			cfg->trust_wanted[TRUST_NONE] = 1;
		else if (!strcmp(w, "sandboxed"))
			cfg->trust_wanted[TRUST_SANDBOXED] = 1;
		else
			die("%s: unknown trust '%s' (known: none, sandboxed)",
			    setting, w);
	}
	free(copy);
	if (!cfg->trust_wanted[TRUST_NONE] && !cfg->trust_wanted[TRUST_SANDBOXED])
		die("%s: names no trust relation", setting);
}

static void append(const char **list, int *n, const char *setting,
		   const char *value)
{
	if (*n == EXPLORE_MAX_WORDS)
		die("%s: more than %d words", setting, EXPLORE_MAX_WORDS);
	list[(*n)++] = xstrdup(value);
}

/* Which mechanisms this machine can run, and why not the others. */
static void probe_machine(struct config *cfg)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int pku = 0;

	while (f && !pku && fgets(line, sizeof(line), f))
		pku = !strncmp(line, "flags", 5) && strstr(line, " pku");
	if (f)
		fclose(f);
	if (!pku)
		cfg->unavailable[MECH_MPK_HW] =
			"no PKU: /proc/cpuinfo lists no pku flag";
	if (!cfg->unavailable[MECH_BAREMETAL]) {
		const char *path = getenv("PATH");
		char *dirs = xstrdup(path ? path : ""), *save = NULL;
		int qemu = 0;

		for (char *d = strtok_r(dirs, ":", &save); d && !qemu;
		     d = strtok_r(NULL, ":", &save)) {
			char *exe = path_join(d, "qemu-system-x86_64");

			qemu = access(exe, X_OK) == 0;
			free(exe);
		}
		free(dirs);
		if (!qemu)
			cfg->unavailable[MECH_BAREMETAL] =
				"no qemu-system-x86_64 in PATH";
	}
}

static void read_file(struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int lineno = 0;

	if (!f)
		die("cannot read %s (configure the project that calls "
		    "flexos_explore() first)", path);
	while (fgets(line, sizeof(line), f)) {
		char *key = line, *value;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!*line || *line == '#')
			continue;
		value = strchr(line, ' ');
		value = value ? (*value = 0, value + 1) : line + strlen(line);
		if (!strcmp(key, "target"))
			cfg->target = xstrdup(value);
		else if (!strcmp(key, "unit")) {
			if (cfg->nunits == EXPLORE_MAX_UNITS)
				die("%s: more than %d units", path,
				    EXPLORE_MAX_UNITS);
			char *target = strchr(value, ' ');

			if (!target)
				die("%s:%d: unit needs a name and a target",
				    path, lineno);
			*target++ = 0;
			cfg->units[cfg->nunits] = xstrdup(value);
			cfg->unit_targets[cfg->nunits++] = xstrdup(target);
		} else if (!strcmp(key, "image_option"))
			append(cfg->image_options, &cfg->nimage_options, key,
			       value);
		else if (!strcmp(key, "benchmark"))
			append(cfg->benchmark, &cfg->nbenchmark, key, value);
		else if (!strcmp(key, "package_dir"))
			cfg->package_dir = xstrdup(value);
		else if (!strcmp(key, "parts"))
			cfg->parts = xstrdup(value);
		else if (!strcmp(key, "cmake"))
			cfg->cmake = xstrdup(value);
		else if (!strcmp(key, "compiler"))
			cfg->compiler = xstrdup(value);
		else if (!strcmp(key, "build_type"))
			cfg->build_type = xstrdup(value);
		else if (!strcmp(key, "output_name"))
			cfg->output_name = xstrdup(value);
		else if (!strcmp(key, "directory"))
			cfg->directory = xstrdup(value);
		else if (!strcmp(key, "gnuplot"))
			cfg->gnuplot = xstrdup(value);
		else if (!strcmp(key, "budget"))
			cfg->budget = parse_positive("BUDGET", value);
		else if (!strcmp(key, "min_safety"))
			cfg->min_safety = parse_positive("MIN_SAFETY", value);
		else if (!strcmp(key, "runs"))
			cfg->runs = parse_count("RUNS", value, 1);
		else if (!strcmp(key, "max_compartments"))
			cfg->max_compartments =
				parse_count("MAX_COMPARTMENTS", value, 1);
		else if (!strcmp(key, "verify_pruned"))
			cfg->verify_pruned =
				parse_count("VERIFY_PRUNED", value, 0);
		else if (!strcmp(key, "backends"))
			parse_backends(cfg, "BACKENDS", value);
		else if (!strcmp(key, "trust"))
			parse_trust(cfg, "TRUST", value);
		else if (!strcmp(key, "together"))
			add_pairs(cfg, "TOGETHER", value, cfg->together,
				  &cfg->ntogether);
		else if (!strcmp(key, "apart"))
			add_pairs(cfg, "APART", value, cfg->apart,
				  &cfg->napart);
		else if (!strcmp(key, "baremetal_unavailable"))
			cfg->unavailable[MECH_BAREMETAL] = xstrdup(value);
		else
			die("%s:%d: unknown setting '%s'", path, lineno, key);
	}
	fclose(f);
	const char *required[][2] = {
		{ "target", cfg->target }, { "package_dir", cfg->package_dir },
		{ "parts", cfg->parts }, { "cmake", cfg->cmake },
		{ "output_name", cfg->output_name },
		{ "directory", cfg->directory },
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!required[i][1])
			die("%s: no '%s' line", path, required[i][0]);
	if (cfg->nunits < 2)
		die("%s: the image links no static library: nothing to put in "
		    "compartments", path);
	if (!cfg->nbenchmark)
		die("%s: no benchmark command", path);
}

int config_load(struct config *cfg, int argc, char **argv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->budget = 1.10;
	cfg->min_safety = -1;
	cfg->runs = 5;
	cfg->max_compartments = EXPLORE_MAX_UNITS;
	cfg->verify_pruned = 1;
	for (int m = 0; m < MECH_COUNT; m++)
		cfg->wanted[m] = 1;
	cfg->trust_wanted[TRUST_NONE] = cfg->trust_wanted[TRUST_SANDBOXED] = 1;
	if (argc < 2 || argv[1][0] == '-') {
		fputs(usage, stderr);
		exit(2);
	}
	cfg->path = argv[1];
	read_file(cfg, argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "--dry-run")) {
			cfg->dry_run = 1;
			continue;
		}
		if (i + 1 == argc)
			die("%s needs a value\n%s", opt, usage);
		const char *value = argv[++i];

		if (!strcmp(opt, "--budget"))
			cfg->budget = parse_positive(opt, value);
		else if (!strcmp(opt, "--runs"))
			cfg->runs = parse_count(opt, value, 1);
		else if (!strcmp(opt, "--max-compartments"))
			cfg->max_compartments = parse_count(opt, value, 1);
		else if (!strcmp(opt, "--backends"))
			parse_backends(cfg, opt, value);
		else if (!strcmp(opt, "--trust"))
			parse_trust(cfg, opt, value);
		else if (!strcmp(opt, "--min-safety"))
			cfg->min_safety = parse_positive(opt, value);
		else if (!strcmp(opt, "--verify-pruned"))
			cfg->verify_pruned = parse_count(opt, value, 0);
		else
			die("unknown option '%s'\n%s", opt, usage);
	}
	probe_machine(cfg);
	return 0;
}
