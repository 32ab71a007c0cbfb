/* Writing the reports: report.txt (-o), report.json (-j), and beside the
 * text report the graph, report.dot, and report.svg when graphviz's `dot`
 * is on PATH (report.txt says which).  Everything is written to temporary
 * files first and renamed only when all of it succeeded. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gen.h"

/* The program `name` in a directory of $PATH, or NULL. */
static char *on_path(const char *name)
{
	const char *path = getenv("PATH");

	if (!path)
		return NULL;
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		char *cand = gen_xasprintf("%.*s/%s", (int)len, len ? p : ".",
					   name);

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* `report` with its ".txt" (if any) replaced by `ext`. */
static char *beside(const char *report, const char *ext)
{
	size_t n = strlen(report);

	if (n > 4 && !strcmp(report + n - 4, ".txt"))
		n -= 4;
	return gen_xasprintf("%.*s%s", (int)n, report, ext);
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Runs `dot -Tsvg` on the temporary DOT file; 0 when it wrote `svg`. */
static int run_dot(const char *dot, const char *in, const char *svg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* -q: graphviz's layout warnings are no errors of ours. */
		if (gen_quiet)
			freopen("/dev/null", "w", stderr);
		execl(dot, "dot", "-Tsvg", "-o", svg, in, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

void gen_write_reports(struct gen_state *st, const char *report,
		       const char *json)
{
	char *dot_path = NULL, *svg_path = NULL, *dot_tmp = NULL;
	char *svg_tmp = NULL;

	gen_progress("writing the reports");
	if (report) {
		char *dot_text = gen_report_dot(st), *dot = on_path("dot");

		dot_path = beside(report, ".dot");
		svg_path = beside(report, ".svg");
		dot_tmp = gen_write_temp(dot_path, dot_text, strlen(dot_text));
		free(dot_text);
		if (dot_tmp && dot) {
			svg_tmp = gen_temp_path(svg_path);
			if (run_dot(dot, dot_tmp, svg_tmp) < 0) {
				gen_warning(dot, "could not draw %s (see its "
					    "messages above); report.dot is "
					    "written", svg_path);
				svg_tmp = NULL;
			}
		}
		st->graph_note = svg_tmp
			? gen_xasprintf("graph: %s, %s", base(dot_path),
					base(svg_path))
			: gen_xasprintf("graph: %s (%s skipped: %s)",
					base(dot_path), base(svg_path),
					dot ? "graphviz's dot failed"
					    : "graphviz's dot is not on PATH");
		free(dot);
	} else {
		st->graph_note = "graph: not written (no -o REPORT, beside "
				 "which report.dot goes)";
	}
	char *text = gen_report_text(st), *json_tmp = NULL;

	if (json) {
		char *js = gen_report_json(st);

		json_tmp = gen_write_temp(json, js, strlen(js));
		free(js);
	}
	gen_check_errors();
	if (json_tmp)
		gen_commit_temp(json_tmp, json);
	if (dot_tmp)
		gen_commit_temp(dot_tmp, dot_path);
	if (svg_tmp)
		gen_commit_temp(svg_tmp, svg_path);
	if (report)
		gen_write_atomic(report, text, strlen(text));
	else if (!json)
		fputs(text, stdout);
	gen_info("wrote%s%s%s%s%s%s", report ? " " : "", report ? report : "",
		 dot_tmp ? " " : "", dot_tmp ? dot_path : "",
		 svg_tmp ? " " : "", svg_tmp ? svg_path : "");
	free(text);
	gen_check_errors();
}
