/* flexos-gen: command line.
 *
 *   flexos-gen analyze -c CONFIG [-o REPORT] [-j JSON] [-d OUTDIR]
 *                      [-k CROSSINGS] [-q|-v]
 *       Analyse the files the configuration lists; print the report (or
 *       write it to REPORT/JSON, and the graph beside REPORT: .dot, .svg);
 *       with -d also write rewritten copies and the gate stubs into
 *       OUTDIR; with -k weigh the graph's gates with the counts of a run
 *       (FLEXOS_CROSSINGS).
 *   flexos-gen link -c CONFIG -d OUTDIR [-o REPORT] [-j JSON]
 *                   [-k CROSSINGS] [-q|-v] -- LINK COMMAND...
 *       Linker launcher (what flexos_image(... AUTO_GATES) installs): the
 *       same, on the files of the link command, then the link itself.
 *   -q: errors only; -v: each step as it goes.
 *
 * Exit status: 0 done (warnings allowed), 1 an error was reported, 2 bad
 * usage.  Outputs are written atomically; on error none is. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#ifndef FLEXOS_GEN_VERSION
#define FLEXOS_GEN_VERSION "0"
#endif

static __attribute__((noreturn)) void usage(int status)
{
	fputs("usage: flexos-gen analyze -c CONFIG [-o REPORT] [-j JSON] "
	      "[-d OUTDIR] [-k CROSSINGS] [-q|-v]\n"
	      "       flexos-gen link -c CONFIG -d OUTDIR [-o REPORT] "
	      "[-j JSON] [-k CROSSINGS] [-q|-v] -- LINK COMMAND...\n",
	      status ? stderr : stdout);
	exit(status);
}

static int analyze(struct gen_config *cfg, const char *outdir,
		   const char *report, const char *json)
{
	struct gen_state st;

	gen_state_init(&st, cfg);
	gen_progress("reading the inputs");
	for (size_t l = 0; l < cfg->nlibs; l++)
		for (size_t f = 0; f < cfg->libs[l].nfiles; f++)
			gen_add_input(&st, cfg->libs[l].files[f],
				      cfg->libs[l].comp, (int)l, 0);
	for (size_t t = 0; t < cfg->ntcb; t++)
		gen_add_input(&st, cfg->tcb[t], GEN_TCB, -1, 0);
	gen_progress("analysing references");
	gen_analyze(&st);
	gen_progress("deciding gates and sharing");
	gen_decide(&st);
	gen_progress("scanning for protection-key instructions");
	gen_scan(&st);
	gen_check_errors();
	if (cfg->crossings)
		gen_crossings_load(&st, cfg->crossings);
	gen_check_errors();
	if (outdir) {
		gen_progress("writing the rewritten objects");
		gen_mkdirs(outdir);
		gen_write_outputs(&st, outdir);
		gen_check_errors();
	}
	gen_write_reports(&st, report, json);
	gen_progress_stop();
	return 0;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *report = NULL, *json = NULL, *outdir = NULL;
	const char *crossings = NULL;
	struct gen_config cfg;
	int i = 2;

	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		usage(0);
	if (!strcmp(argv[1], "--version")) {
		printf("flexos-gen %s\n", FLEXOS_GEN_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "analyze") && strcmp(argv[1], "link"))
		usage(2);
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		const char **slot = NULL;

		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "-v")) {
			if (argv[i][1] == 'q')
				gen_quiet = 1;
			else
				gen_verbose = 1;
			if (gen_quiet && gen_verbose) {
				fputs("flexos-gen: error: -q (quiet) and -v "
				      "(verbose) exclude each other\n",
				      stderr);
				usage(2);
			}
			continue;
		}
		if (!strcmp(argv[i], "-c"))
			slot = &config;
		else if (!strcmp(argv[i], "-o"))
			slot = &report;
		else if (!strcmp(argv[i], "-j"))
			slot = &json;
		else if (!strcmp(argv[i], "-d"))
			slot = &outdir;
		else if (!strcmp(argv[i], "-k"))
			slot = &crossings;
		if (!slot || i + 1 >= argc)
			usage(2);
		*slot = argv[++i];
	}
	if (!config)
		usage(2);
	if (elf_version(EV_CURRENT) == EV_NONE)
		gen_die(NULL, "libelf is too old");
	gen_progress_start();
	gen_progress("reading the configuration");
	if (gen_config_load(&cfg, config) < 0)
		gen_check_errors();
	cfg.crossings = crossings;
	if (!strcmp(argv[1], "analyze"))
		return analyze(&cfg, outdir, report, json);
	if (i >= argc || !outdir)
		usage(2);
	return gen_link_main(&cfg, outdir, report, json, argv + i + 1);
}
