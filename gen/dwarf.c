/* Where a byte of an object came from: file:line when the object carries
 * DWARF line information (read with libdwfl, which lays out the sections
 * of a relocatable object and applies its relocations), otherwise the
 * object and the enclosing symbol. */
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static const Dwfl_Callbacks callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct module_find {
	const char *member;
	Dwfl_Module *found;
};

static int match(Dwfl_Module *mod, void **u, const char *name, Dwarf_Addr a,
		 void *arg)
{
	struct module_find *f = arg;
	const char *file = NULL;
	size_t n = strlen(f->member);

	(void)u, (void)a;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	if (!strcmp(name, f->member) ||
	    (file && strlen(file) > n + 2 && file[strlen(file) - 1] == ')' &&
	     !strncmp(file + strlen(file) - n - 1, f->member, n))) {
		f->found = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

static int has_lines(const struct gen_obj *o)
{
	Elf_Scn *scn = NULL;
	size_t strndx;

	if (elf_getshdrstrndx(o->elf, &strndx))
		return 0;
	while ((scn = elf_nextscn(o->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) &&
		    (n = elf_strptr(o->elf, strndx, sh.sh_name)) &&
		    !strcmp(n, ".debug_line"))
			return 1;
	}
	return 0;
}

/* One Dwfl per input file, made on first need. */
static Dwfl_Module *module_of(struct gen_obj *o)
{
	static struct {
		const struct gen_input *in;
		Dwfl *dwfl;
	} *cache;
	static size_t ncache;
	Dwfl *dwfl = NULL;

	if (o->dwarf)
		return o->dwarf == (void *)1 ? NULL : o->dwarf;
	o->dwarf = (void *)1;
	if (!has_lines(o))
		return NULL;
	for (size_t i = 0; i < ncache; i++)
		if (cache[i].in == o->in)
			dwfl = cache[i].dwfl;
	if (!dwfl) {
		dwfl = dwfl_begin(&callbacks);
		if (!dwfl)
			return NULL;
		dwfl_report_begin(dwfl);
		dwfl_report_offline(dwfl, o->in->path, o->in->path, -1);
		dwfl_report_end(dwfl, NULL, NULL);
		cache = gen_xrealloc(cache, (ncache + 1) * sizeof(*cache));
		cache[ncache].in = o->in;
		cache[ncache++].dwfl = dwfl;
	}
	struct module_find f = { o->member ? o->member : o->in->path, NULL };

	dwfl_getmodules(dwfl, match, &f, 0);
	if (!f.found && !o->member) {
		/* Named after the file's base name. */
		const char *base = strrchr(o->in->path, '/');

		f.member = base ? base + 1 : o->in->path;
		dwfl_getmodules(dwfl, match, &f, 0);
	}
	if (f.found)
		o->dwarf = f.found;
	return f.found;
}

static const char *line_of(struct gen_obj *o, unsigned sec, uint64_t off)
{
	Dwfl_Module *mod = module_of(o);
	GElf_Addr bias;
	Elf *e;
	Elf_Scn *scn;
	GElf_Shdr sh;
	Dwfl_Line *line;
	int lineno = 0;
	const char *file;

	if (!mod || !(e = dwfl_module_getelf(mod, &bias)) ||
	    !(scn = elf_getscn(e, sec)) || !gelf_getshdr(scn, &sh))
		return NULL;
	line = dwfl_module_getsrc(mod, sh.sh_addr + off + bias);
	if (!line)
		return NULL;
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (!file || !lineno)
		return NULL;
	return gen_xasprintf("%s:%d", file, lineno);
}

const char *gen_where(struct gen_state *st, long oi, unsigned sec,
		      uint64_t off)
{
	struct gen_obj *o = &st->objs[oi];
	const char *line = line_of(o, sec, off);
	const struct gen_fn *f;

	if (line)
		return line;
	f = gen_fn_at(o, sec, off, 0);
	if (f)
		return gen_xasprintf("%s: %s+0x%llx", o->where,
				     o->syms[f->sym].name,
				     (unsigned long long)(off - f->value));
	return gen_xasprintf("%s: %s+0x%llx", o->where, o->secs[sec].name,
			     (unsigned long long)off);
}
