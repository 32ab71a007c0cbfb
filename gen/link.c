/* Link mode: flexos-gen runs as the image's linker launcher.  It sees the
 * exact link command, so it knows every object and archive the image is
 * made of: it analyses them, writes rewritten copies and the gate stubs
 * into the image's own directory, and runs the link with the copies in
 * place of the originals.  Sources and prebuilt archives stay untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gen.h"

struct arg {
	char *text;
	long input; /* index in st->ins, or -1 */
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/* Response files (@file) of long link lines, expanded in place. */
static void expand(struct arg **v, size_t *n, size_t *cap, const char *a)
{
	unsigned char *data;
	size_t size;

	if (a[0] != '@' || gen_read_file(a + 1, &data, &size) < 0) {
		*GEN_PUSH(*v, *n, *cap) = (struct arg){ gen_xstrdup(a), -1 };
		return;
	}
	data[size] = '\0';
	for (char *t = strtok((char *)data, " \t\r\n"); t;
	     t = strtok(NULL, " \t\r\n"))
		*GEN_PUSH(*v, *n, *cap) = (struct arg){ gen_xstrdup(t), -1 };
	free(data);
}

static void classify(struct gen_state *st, struct arg *a)
{
	const struct gen_config *cfg = st->cfg;
	const char *p = a->text;
	int comp = GEN_TCB, lib = -1;
	struct stat sb;

	if (p[0] == '-' || stat(p, &sb) < 0 || !S_ISREG(sb.st_mode))
		return;
	if (!ends_with(p, ".o") && !ends_with(p, ".obj") &&
	    !ends_with(p, ".a"))
		return; /* shared objects, scripts: TCB, not analysed */
	for (size_t l = 0; l < cfg->nlibs && lib < 0; l++)
		for (size_t f = 0; f < cfg->libs[l].nfiles; f++)
			if (same_file(p, cfg->libs[l].files[f])) {
				lib = (int)l;
				comp = cfg->libs[l].comp;
				break;
			}
	int tcb = 0;

	for (size_t t = 0; t < cfg->ntcb; t++)
		tcb |= same_file(p, cfg->tcb[t]);
	if (tcb) {
		lib = -1;
		comp = GEN_TCB;
	} else if (lib < 0 && !ends_with(p, ".a") && cfg->default_lib >= 0) {
		lib = cfg->default_lib;
		comp = cfg->libs[lib].comp;
	}
	a->input = (long)st->nins;
	gen_add_input(st, p, comp, lib, 0);
}

/* Where the copy of an input goes: objects keep their relative path (the
 * linker script selects a compartment's objects by it), archives keep
 * their file name (selected by it) in a directory of their own. */
static char *copy_path(const char *outdir, const struct gen_input *in,
		       size_t index)
{
	if (in->kind == GEN_IN_ARCHIVE) {
		const char *base = strrchr(in->path, '/');

		return gen_xasprintf("%s/archives/%zu/%s", outdir, index,
				     base ? base + 1 : in->path);
	}
	struct gen_buf b = { 0 };

	gen_buf_printf(&b, "%s/objects/", outdir);
	for (const char *s = in->path; *s; s++) {
		if (s == in->path && *s == '/')
			continue;
		if (!strncmp(s, "../", 3)) {
			gen_buf_add(&b, "__/", 3);
			s += 2;
			continue;
		}
		gen_buf_add(&b, s, 1);
	}
	return b.s;
}

int gen_write_outputs(struct gen_state *st, const char *outdir)
{
	for (size_t i = 0; i < st->nins; i++) {
		struct gen_input *in = &st->ins[i];
		int edited = 0;

		for (size_t k = 0; k < in->nobjs; k++) {
			struct gen_obj *o = &st->objs[in->first + k];

			edited |= o->nedits || o->sec_rename;
		}
		if (!edited || in->comp == GEN_TCB)
			continue;
		unsigned char **datas = gen_xcalloc(in->nobjs, sizeof(*datas));
		size_t *sizes = gen_xcalloc(in->nobjs, sizeof(*sizes));
		int rc = 0;

		for (size_t k = 0; k < in->nobjs && !rc; k++) {
			struct gen_obj *o = &st->objs[in->first + k];

			if (o->nedits || o->sec_rename) {
				rc = gen_rewrite_object(o, &datas[k],
							&sizes[k]);
			} else {
				datas[k] = gen_xmalloc(o->rawsize);
				memcpy(datas[k], o->raw, o->rawsize);
				sizes[k] = o->rawsize;
			}
		}
		in->out = copy_path(outdir, in, i);
		if (!rc && in->kind == GEN_IN_ARCHIVE)
			rc = gen_write_archive(in->out, &st->objs[in->first],
					       in->nobjs, datas, sizes);
		else if (!rc)
			rc = gen_write_atomic(in->out, datas[0], sizes[0]);
		for (size_t k = 0; k < in->nobjs; k++)
			free(datas[k]);
		free(datas);
		free(sizes);
		if (rc < 0)
			return -1;
	}
	char *s = gen_stubs_asm(st);
	char *path = gen_xasprintf("%s/autogates.S", outdir);
	int rc = gen_write_atomic(path, s, strlen(s));

	free(s);
	free(path);
	return rc;
}

static int run(char **argv)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "flexos-gen: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Assembles the stubs with the link's own compiler driver. */
static char *assemble(const char *cc, const char *outdir)
{
	char *src = gen_xasprintf("%s/autogates.S", outdir);
	char *obj = gen_xasprintf("%s/autogates.o", outdir);
	char *tmp = gen_temp_path(obj);
	char *argv[] = { (char *)cc, "-c", "-x", "assembler", src, "-o", tmp,
			 NULL };

	if (run(argv) != 0 || rename(tmp, obj) < 0)
		gen_die(src, "cannot assemble the gate stubs");
	gen_temp_done(tmp);
	free(src);
	return obj;
}

int gen_link_main(struct gen_config *cfg, const char *outdir,
		  const char *report, const char *json, char **argv)
{
	struct gen_state st;
	struct arg *v = NULL;
	size_t n = 0, cap = 0;

	gen_state_init(&st, cfg);
	st.link_mode = 1;
	gen_progress("reading the link command's inputs");
	for (char **a = argv; *a; a++)
		expand(&v, &n, &cap, *a);
	if (!n)
		gen_die(NULL, "link: no command after --");
	for (size_t i = 1; i < n; i++) {
		/* An option's argument is no input, even when it names one:
		 * clang's driver passes `-Xlinker --exclude-libs -Xlinker
		 * libfoo.a` where gcc's has `-Wl,...` in one word. */
		if ((!strcmp(v[i].text, "-o") ||
		     !strcmp(v[i].text, "-Xlinker")) &&
		    i + 1 < n) {
			i++;
			continue;
		}
		classify(&st, &v[i]);
	}
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
	gen_progress("writing the rewritten objects");
	gen_mkdirs(outdir);
	if (gen_write_outputs(&st, outdir) < 0)
		gen_check_errors();
	gen_progress("assembling the gate stubs");
	char *stubs = assemble(v[0].text, outdir);

	gen_write_reports(&st, report, json);
	gen_progress_stop();

	/* The link, with the copies in place and the stubs first, so that
	 * archives after them resolve what they name. */
	char **cmd = gen_xcalloc(n + 2, sizeof(*cmd));
	size_t k = 0;
	int stubbed = 0;

	for (size_t i = 0; i < n; i++) {
		const struct gen_input *in =
			v[i].input >= 0 ? &st.ins[v[i].input] : NULL;

		if (in && !stubbed) {
			cmd[k++] = stubs;
			stubbed = 1;
		}
		cmd[k++] = in && in->out ? in->out : v[i].text;
	}
	if (!stubbed)
		cmd[k++] = stubs;
	cmd[k] = NULL;
	if (!gen_quiet) {
		size_t gates = 0, cbs = 0;

		for (size_t i = 0; i < st.nstubs; i++) {
			gates += st.stubs[i].cross_call || st.stubs[i].escapes;
			cbs += st.stubs[i].callback;
		}
		fprintf(stderr, "flexos-gen: image '%s': %zu compartments, %zu "
			"gate stubs (%zu entry points, %zu callbacks), %zu "
			"shared objects, %zu shared heap sites, %u warnings%s%s\n",
			cfg->image, cfg->ncomps, st.nstubs, gates, cbs,
			st.nshared, st.nheapsites, gen_nwarnings,
			report ? "; report: " : "", report ? report : "");
	}
	fflush(NULL);
	execvp(cmd[0], cmd);
	gen_die(cmd[0], "cannot run the linker: %s", strerror(errno));
}
