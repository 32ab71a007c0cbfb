/* -k CROSSINGS: how often a run took each gate, as the runtime counts it
 * with FLEXOS_CROSSINGS=path (libflexos/crossings.c):
 *
 *   flexos-crossings 1
 *   image NAME
 *   CALLER ENTRY COUNT        caller compartment, entry function, count
 *
 * The file is checked against this analysis: counts of another image, of
 * a compartment or entry point it does not have, would put wrong weights
 * on the graph, so each is an error naming the file and line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

long gen_stub_by_entry(const struct gen_state *st, const char *name)
{
	long found = -1;

	/* A static function's gate names the global alias flexos-gen gave
	 * it, which is what the runtime finds at its address. */
	for (size_t s = 0; s < st->nstubs; s++)
		if (!strcmp(st->stubs[s].target, name))
			return (long)s;
	for (size_t s = 0; s < st->nstubs; s++) {
		if (strcmp(gen_def_sym(st, st->stubs[s].def)->name, name))
			continue;
		if (found >= 0)
			return -2;
		found = (long)s;
	}
	return found;
}

static char *where(const char *path, unsigned line)
{
	return gen_xasprintf("%s:%u", path, line);
}

static int parse_count(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static void add(struct gen_state *st, int caller, size_t stub,
		unsigned long long count)
{
	for (size_t i = 0; i < st->ncrossings; i++)
		if (st->crossings[i].caller == caller &&
		    st->crossings[i].stub == stub) {
			st->crossings[i].count += count;
			return;
		}
	*GEN_PUSH(st->crossings, st->ncrossings, st->capcrossings) =
		(struct gen_crossing){ caller, stub, count };
}

static void entry_line(struct gen_state *st, const char *path, unsigned n,
		       char *text)
{
	char *f[4], *save = NULL, *w = where(path, n), *copy = gen_xstrdup(text);
	size_t k = 0;
	unsigned long long count;

	for (char *t = strtok_r(text, " \t", &save); t && k < 4;
	     t = strtok_r(NULL, " \t", &save))
		f[k++] = t;
	if (k != 3 || parse_count(f[2], &count) < 0) {
		gen_error(w, "expected 'CALLER ENTRY COUNT' (a compartment, "
			  "a function, a decimal count), got '%s'", copy);
		goto out;
	}
	int caller = gen_config_comp(st->cfg, f[0]);
	long stub = gen_stub_by_entry(st, f[1]);

	if (caller < 0) {
		struct gen_buf names = { 0 };

		for (size_t c = 0; c < st->cfg->ncomps; c++)
			gen_buf_printf(&names, "%s'%s'", c ? ", " : "",
				       st->cfg->comps[c].name);
		gen_error(w, "unknown caller compartment '%s' (image '%s' has "
			  "%s)", f[0], st->cfg->image, names.s);
		free(names.s);
		goto out;
	}
	if (stub == -2) {
		gen_error(w, "entry '%s' is ambiguous: several gated functions "
			  "have that name", f[1]);
		goto out;
	}
	if (stub < 0) {
		gen_error(w, "unknown entry '%s': no gate of this image enters "
			  "a function of that name", f[1]);
		goto out;
	}
	if (st->stubs[stub].comp == caller) {
		gen_error(w, "entry '%s' is in compartment '%s' itself: a call "
			  "within one compartment crosses nothing", f[1], f[0]);
		goto out;
	}
	add(st, caller, (size_t)stub, count);
out:
	free(copy);
	free(w);
}

int gen_crossings_load(struct gen_state *st, const char *path)
{
	unsigned char *data;
	size_t size;
	unsigned before = gen_nerrors, n = 0;

	st->crossings_path = path;
	if (gen_read_file(path, &data, &size) < 0)
		return -1;
	data[size] = '\0';
	if (memchr(data, '\0', size)) {
		gen_error(path, "not a crossings file (binary data)");
		free(data);
		return -1;
	}
	char *next = (char *)data;

	/* Line by line, blank ones counted, so that messages name the line
	 * an editor shows. */
	while (n < 2 || *next) {
		char *line = *next || n < 2 ? next : NULL, *w;

		if (line) {
			char *nl = strchr(line, '\n');

			next = nl ? nl + 1 : line + strlen(line);
			if (nl)
				*nl = '\0';
		}
		n++;
		if (n == 1 && (!line || strcmp(line, "flexos-crossings 1"))) {
			w = where(path, n);
			gen_error(w, "not a crossings file: the first line must "
				  "be 'flexos-crossings 1'");
			free(w);
			break;
		}
		if (n == 2 && (!line || strncmp(line, "image ", 6) ||
			       strcmp(line + 6, st->cfg->image))) {
			w = where(path, n);
			if (line && !strncmp(line, "image ", 6))
				gen_error(w, "crossings of image '%s', but this "
					  "is image '%s'", line + 6,
					  st->cfg->image);
			else
				gen_error(w, "expected 'image %s'",
					  st->cfg->image);
			free(w);
			break;
		}
		if (n > 2 && line[strspn(line, " \t")] &&
		    line[strspn(line, " \t")] != '#')
			entry_line(st, path, n, line);
	}
	free(data);
	gen_info("%s: %zu counted gate crossings read", path,
		 st->ncrossings);
	return gen_nerrors == before ? 0 : -1;
}
