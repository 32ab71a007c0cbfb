/* The image configuration flexos-gen reads: written by flexos_image() (or
 * by hand), one directive per line, '#' starts a comment.
 *
 *   image NAME                      the image (default compartment's name)
 *   backend NAME                    fcall: plain calls; others: gates
 *   compartment NAME                declared in order; the first is default
 *   library COMP TOKEN [FILE...]    a library, its objects and archives
 *   default-library TOKEN           owner of loose objects (link mode)
 *   tcb FILE...                     runtime/C library files (optional)
 *   share-heap FUNCTION...          policy: their allocations are shared
 *   share-data SYMBOL...            policy: these data objects are shared
 *   share-heap-at FILE:LINE...      policy, applied at run time: ignored
 *   allocator FUNCTION...           policy, applied at run time: ignored
 *   share-stacks                    policy, applied at run time: ignored
 *   pkru-scan off|warn|error        WRPKRU/XRSTOR outside the TCB
 *   gates on|off                    generate gates (link mode)
 *   include FILE                    read FILE too (a sharing policy)
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define MAX_WORDS 4096

static void push(char ***arr, size_t *n, const char *s)
{
	*arr = gen_xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = gen_xstrdup(s);
}

int gen_config_comp(const struct gen_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ncomps; i++)
		if (!strcmp(cfg->comps[i].name, name))
			return (int)i;
	return -1;
}

static int find_lib(const struct gen_config *cfg, const char *token)
{
	for (size_t i = 0; i < cfg->nlibs; i++)
		if (!strcmp(cfg->libs[i].token, token))
			return (int)i;
	return -1;
}

static int identifier(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int load(struct gen_config *cfg, const char *path, int depth);

static int directive(struct gen_config *cfg, const char *where, char **w,
		     size_t n, const char *path, int depth)
{
	const char *d = w[0];

#define NEED(k)                                                               \
	if (n < (k)) {                                                        \
		gen_error(where, "'%s' needs %d argument%s", d, (k) - 1,      \
			  (k) == 2 ? "" : "s");                               \
		return -1;                                                    \
	}
	if (!strcmp(d, "image") || !strcmp(d, "backend")) {
		NEED(2);
		char **slot = d[0] == 'i' ? &cfg->image : &cfg->backend;

		free(*slot);
		*slot = gen_xstrdup(w[1]);
	} else if (!strcmp(d, "compartment")) {
		NEED(2);
		if (!identifier(w[1])) {
			gen_error(where, "compartment '%s' is not a C "
				  "identifier", w[1]);
			return -1;
		}
		if (gen_config_comp(cfg, w[1]) >= 0) {
			gen_error(where, "compartment '%s' declared twice",
				  w[1]);
			return -1;
		}
		if (cfg->ncomps == 64) {
			gen_error(where, "more than 64 compartments");
			return -1;
		}
		cfg->comps = gen_xrealloc(cfg->comps, (cfg->ncomps + 1) *
							      sizeof(*cfg->comps));
		cfg->comps[cfg->ncomps++] = (struct gen_compartment){
			.name = gen_xstrdup(w[1]) };
	} else if (!strcmp(d, "sandbox")) {
		NEED(3);
		int sandbox = gen_config_comp(cfg, w[1]);
		int by = gen_config_comp(cfg, w[2]);

		if (sandbox < 0 || by < 0 || sandbox == by) {
			gen_error(where, "sandbox '%s' of '%s': %s", w[1], w[2],
				  sandbox == by && sandbox >= 0
					  ? "a compartment is not its own "
					    "sandbox"
					  : "unknown compartment");
			return -1;
		}
		cfg->comps[sandbox].reached_by |= 1ull << by;
	} else if (!strcmp(d, "library")) {
		NEED(3);
		int comp = gen_config_comp(cfg, w[1]);

		if (comp < 0) {
			gen_error(where, "library '%s': unknown compartment "
				  "'%s'", w[2], w[1]);
			return -1;
		}
		if (!identifier(w[2])) {
			gen_error(where, "library '%s' is not a C identifier",
				  w[2]);
			return -1;
		}
		int lib = find_lib(cfg, w[2]);

		if (lib >= 0 && cfg->libs[lib].comp != comp) {
			gen_error(where, "library '%s' is in two compartments:"
				  " '%s' and '%s'", w[2],
				  cfg->comps[cfg->libs[lib].comp].name, w[1]);
			return -1;
		}
		if (lib < 0) {
			cfg->libs = gen_xrealloc(cfg->libs, (cfg->nlibs + 1) *
							    sizeof(*cfg->libs));
			lib = (int)cfg->nlibs++;
			cfg->libs[lib] = (struct gen_library){
				gen_xstrdup(w[2]), comp, NULL, 0 };
		}
		for (size_t i = 3; i < n; i++)
			push(&cfg->libs[lib].files, &cfg->libs[lib].nfiles,
			     w[i]);
	} else if (!strcmp(d, "default-library")) {
		NEED(2);
		cfg->default_lib = find_lib(cfg, w[1]);
		if (cfg->default_lib < 0) {
			gen_error(where, "unknown library '%s'", w[1]);
			return -1;
		}
	} else if (!strcmp(d, "tcb")) {
		for (size_t i = 1; i < n; i++)
			push(&cfg->tcb, &cfg->ntcb, w[i]);
	} else if (!strcmp(d, "share-heap")) {
		for (size_t i = 1; i < n; i++)
			push(&cfg->share_heap, &cfg->nshare_heap, w[i]);
	} else if (!strcmp(d, "share-data")) {
		for (size_t i = 1; i < n; i++)
			push(&cfg->share_data, &cfg->nshare_data, w[i]);
	} else if (!strcmp(d, "share-heap-at") || !strcmp(d, "share-stacks") ||
		   !strcmp(d, "allocator")) {
		/* Sharing policy entries the runtime applies (allocation
		 * sites, allocator wrappers, stacks): nothing to decide at
		 * link time. */
	} else if (!strcmp(d, "pkru-scan")) {
		NEED(2);
		if (!strcmp(w[1], "off"))
			cfg->scan = GEN_SCAN_OFF;
		else if (!strcmp(w[1], "warn"))
			cfg->scan = GEN_SCAN_WARN;
		else if (!strcmp(w[1], "error"))
			cfg->scan = GEN_SCAN_ERROR;
		else {
			gen_error(where, "pkru-scan: expected off, warn or "
				  "error, not '%s'", w[1]);
			return -1;
		}
	} else if (!strcmp(d, "gates")) {
		NEED(2);
		cfg->gates = !strcmp(w[1], "on");
	} else if (!strcmp(d, "include")) {
		NEED(2);
		char *file = w[1][0] == '/' || !strchr(path, '/')
				     ? gen_xstrdup(w[1])
				     : gen_xasprintf("%.*s/%s",
						     (int)(strrchr(path, '/') -
							   path),
						     path, w[1]);
		int rc = load(cfg, file, depth + 1);

		free(file);
		return rc;
	} else {
		gen_error(where, "unknown directive '%s'", d);
		return -1;
	}
	return 0;
#undef NEED
}

static int load(struct gen_config *cfg, const char *path, int depth)
{
	unsigned char *data;
	size_t size, lineno = 0;
	int rc = 0;

	if (depth > 8) {
		gen_error(path, "includes nest too deeply");
		return -1;
	}
	if (gen_read_file(path, &data, &size) < 0)
		return -1;
	data[size] = '\0';
	for (char *line = (char *)data, *next; line; line = next) {
		char *w[MAX_WORDS];
		size_t n = 0;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		for (char *tok = strtok(line, " \t\r"); tok;
		     tok = strtok(NULL, " \t\r"))
			if (n < MAX_WORDS)
				w[n++] = tok;
		if (!n)
			continue;
		char *where = gen_xasprintf("%s:%zu", path, lineno);

		if (directive(cfg, where, w, n, path, depth) < 0)
			rc = -1;
		free(where);
	}
	free(data);
	return rc;
}

int gen_config_load(struct gen_config *cfg, const char *path)
{
	*cfg = (struct gen_config){ .path = gen_xstrdup(path),
				    .default_lib = -1,
				    .scan = GEN_SCAN_WARN,
				    .gates = 1 };
	if (load(cfg, path, 0) < 0)
		return -1;
	if (!cfg->ncomps) {
		gen_error(path, "no compartment declared");
		return -1;
	}
	if (!cfg->image)
		cfg->image = gen_xstrdup(cfg->comps[0].name);
	if (!cfg->backend)
		cfg->backend = gen_xstrdup("mpk");
	for (size_t c = 0; c < cfg->ncomps; c++) {
		int has = 0;

		for (size_t l = 0; l < cfg->nlibs; l++)
			has |= cfg->libs[l].comp == (int)c;
		if (!has) {
			gen_error(path, "compartment '%s' has no library",
				  cfg->comps[c].name);
			return -1;
		}
	}
	return 0;
}
