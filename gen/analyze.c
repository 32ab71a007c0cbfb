/* Resolution and edges: which archive members the link pulls in, where each
 * global symbol is defined, and every reference that leaves a compartment
 * (calls, function addresses, writable data) or enters the TCB. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

void gen_state_init(struct gen_state *st, struct gen_config *cfg)
{
	*st = (struct gen_state){ .cfg = cfg };
}

void gen_add_input(struct gen_state *st, const char *path, int comp, int lib,
		   int loaded)
{
	st->ins = gen_xrealloc(st->ins, (st->nins + 1) * sizeof(*st->ins));
	st->ins[st->nins++] = (struct gen_input){ .path = gen_xstrdup(path),
						  .comp = comp,
						  .lib = lib };
	(void)loaded;
}

const struct gen_sym *gen_def_sym(const struct gen_state *st, struct gen_def d)
{
	return d.obj < 0 ? NULL : &st->objs[d.obj].syms[d.sym];
}

int gen_def_comp(const struct gen_state *st, struct gen_def d)
{
	return d.obj < 0 ? GEN_TCB : st->objs[d.obj].comp;
}

static const char *comp_name(const struct gen_state *st, int comp)
{
	return comp == GEN_TCB ? "TCB" : st->cfg->comps[comp].name;
}

static int defines(const struct gen_sym *s)
{
	return s->shndx != SHN_UNDEF && s->bind != STB_LOCAL &&
	       s->type != STT_SECTION && s->type != STT_FILE;
}

/* Records the global definitions of an object pulled into the link. */
static void add_defs(struct gen_state *st, long oi)
{
	struct gen_obj *o = &st->objs[oi];

	for (unsigned i = 1; i < o->nsyms; i++) {
		const struct gen_sym *s = &o->syms[i];

		if (!defines(s))
			continue;
		struct gen_def *d = GEN_PUSH(st->defv, st->ndefv, st->capdefv);
		long at = gen_hash_put(&st->defs, s->name,
				       (long)st->ndefv - 1);

		*d = (struct gen_def){ oi, i };
		if (at == (long)st->ndefv - 1)
			continue;
		st->ndefv--;
		/* Already defined: a strong definition replaces a weak or
		 * common one; two strong ones across compartments (or two
		 * files the linker loads anyway) cannot both be right. */
		struct gen_def *old = &st->defv[at];
		struct gen_obj *oo = &st->objs[old->obj];
		const struct gen_sym *os = &oo->syms[old->sym];
		int ostrong = os->bind == STB_GLOBAL && os->shndx != SHN_COMMON;
		int strong = s->bind == STB_GLOBAL && s->shndx != SHN_COMMON;

		if (strong && !ostrong) {
			*old = (struct gen_def){ oi, i };
		} else if (strong && ostrong &&
			   (oo->comp != o->comp ||
			    (!oo->member && !o->member))) {
			gen_error(o->where, "symbol '%s' is defined in "
				  "compartment '%s' and also in compartment "
				  "'%s' by %s", s->name, comp_name(st, o->comp),
				  comp_name(st, oo->comp), oo->where);
		}
	}
}

static int linker_defined(const char *n)
{
	static const char *const names[] = {
		"_GLOBAL_OFFSET_TABLE_", "__ehdr_start", "__executable_start",
		"etext", "_etext", "__etext", "edata", "_edata", "end",
		"_end", "__bss_start", "_DYNAMIC", "__dso_handle",
		"__init_array_start", "__init_array_end",
		"__fini_array_start", "__fini_array_end", NULL };

	if (!strncmp(n, "__start_", 8) || !strncmp(n, "__stop_", 7) ||
	    !strncmp(n, "__real_", 7))
		return 1;
	for (int i = 0; names[i]; i++)
		if (!strcmp(n, names[i]))
			return 1;
	return 0;
}

/* The archive members the linker would pull in: those defining a symbol
 * some loaded object still needs, to a fixed point (as if every archive
 * were in one --start-group).  Members never pulled in cannot call
 * anything and are left out of the analysis. */
static void resolve(struct gen_state *st)
{
	struct gen_hash provider = { 0 };
	long *work = gen_xmalloc((st->nobjs + 1) * sizeof(*work));
	size_t nwork = 0;

	for (size_t i = 0; i < st->nobjs; i++) {
		struct gen_obj *o = &st->objs[i];

		if (!o->member) {
			o->included = 1;
			add_defs(st, (long)i);
			work[nwork++] = (long)i;
			continue;
		}
		for (unsigned k = 1; k < o->nsyms; k++)
			if (defines(&o->syms[k]))
				gen_hash_put(&provider, o->syms[k].name,
					     (long)i);
	}
	while (nwork) {
		struct gen_obj *o = &st->objs[work[--nwork]];

		for (unsigned k = 1; k < o->nsyms; k++) {
			const struct gen_sym *s = &o->syms[k];

			if (s->shndx != SHN_UNDEF || s->bind != STB_GLOBAL ||
			    !*s->name || gen_hash_get(&st->defs, s->name) >= 0)
				continue;
			long p = gen_hash_get(&provider, s->name);

			if (p < 0 || st->objs[p].included)
				continue;
			st->objs[p].included = 1;
			add_defs(st, p);
			work[nwork++] = p;
		}
	}
	free(work);
	gen_hash_free(&provider);
}

/* With the TCB's files given, every reference must resolve somewhere. */
static void check_unresolved(struct gen_state *st)
{
	for (size_t i = 0; i < st->nins; i++)
		for (size_t k = 0; k < st->ins[i].ndynsyms; k++)
			gen_hash_put(&st->dynsyms, st->ins[i].dynsyms[k], 1);
	for (size_t i = 0; i < st->nobjs; i++) {
		struct gen_obj *o = &st->objs[i];

		if (!gen_obj_in_compartment(o))
			continue;
		for (unsigned k = 1; k < o->nsyms; k++) {
			const struct gen_sym *s = &o->syms[k];

			if (s->shndx != SHN_UNDEF || s->bind != STB_GLOBAL ||
			    !*s->name || gen_hash_get(&st->defs, s->name) >= 0 ||
			    gen_hash_get(&st->dynsyms, s->name) >= 0 ||
			    linker_defined(s->name))
				continue;
			gen_error(o->where, "undefined reference to '%s': "
				  "no compartment and no TCB file defines it",
				  s->name);
		}
	}
}

static int pc_relative(uint32_t type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32 ||
	       type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
	       type == R_X86_64_REX_GOTPCRELX;
}

/* A call or jump, told apart from `lea fn(%rip)` and friends by the
 * opcode bytes in front of the 32-bit displacement. */
static int is_call_site(const struct gen_obj *o, const struct gen_rel *r)
{
	const struct gen_sec *s = &o->secs[r->sec];
	const unsigned char *b = s->bytes;
	uint64_t at = r->offset;

	if (!b || !(s->flags & SHF_EXECINSTR) || at < 2)
		return 0;
	switch (r->type) {
	case R_X86_64_PLT32:
	case R_X86_64_PC32:
		if (b[at - 1] == 0xe8 || b[at - 1] == 0xe9)
			return 1;
		return b[at - 2] == 0x0f && (b[at - 1] & 0xf0) == 0x80;
	case R_X86_64_GOTPCRELX:
	case R_X86_64_GOTPCREL:
		return b[at - 2] == 0xff &&
		       (b[at - 1] == 0x15 || b[at - 1] == 0x25);
	default:
		return 0;
	}
}

/* What a relocation refers to: a definition, or obj -1 for a symbol no
 * input defines (the C library). */
static int target_of(struct gen_state *st, long oi, const struct gen_rel *r,
		     struct gen_def *d)
{
	struct gen_obj *o = &st->objs[oi];
	const struct gen_sym *s = &o->syms[r->sym];

	if (r->sym == 0)
		return -1;
	if (s->shndx == SHN_UNDEF || (s->bind != STB_LOCAL &&
				      s->type != STT_SECTION)) {
		long at = *s->name ? gen_hash_get(&st->defs, s->name) : -1;

		*d = at >= 0 ? st->defv[at] : (struct gen_def){ -1, 0 };
		if (s->shndx != SHN_UNDEF && at < 0)
			*d = (struct gen_def){ oi, r->sym };
		return 0;
	}
	if (s->type != STT_SECTION) {
		*d = (struct gen_def){ oi, r->sym };
		return 0;
	}
	if (s->shndx >= o->nsecs)
		return -1;
	/* Section symbol plus addend: the assembler's way of naming a local
	 * symbol.  For a pc-relative field the addend also holds -4. */
	const struct gen_sec *ts = &o->secs[s->shndx];
	int64_t off = r->addend + (pc_relative(r->type) ? 4 : 0);
	const struct gen_fn *f;

	if (off < 0)
		return -1;
	f = gen_fn_at(o, s->shndx, (uint64_t)off,
		      (ts->flags & SHF_EXECINSTR) != 0);
	if (!f)
		return -1;
	*d = (struct gen_def){ oi, f->sym };
	return 0;
}

static int is_function(const struct gen_obj *o, const struct gen_sym *s)
{
	if (s->type == STT_FUNC || s->type == STT_GNU_IFUNC)
		return 1;
	return s->type == STT_NOTYPE && s->shndx < o->nsecs &&
	       (o->secs[s->shndx].flags & SHF_EXECINSTR);
}

static int is_writable_data(const struct gen_obj *o, const struct gen_sym *s)
{
	if (s->type == STT_TLS || s->shndx == SHN_UNDEF)
		return 0;
	if (s->shndx == SHN_COMMON)
		return 1;
	return s->shndx < o->nsecs && (o->secs[s->shndx].flags & SHF_WRITE) &&
	       !(o->secs[s->shndx].flags & SHF_EXECINSTR);
}

static void add_tcb_call(struct gen_state *st, int comp, const char *name)
{
	size_t n = st->ntcb_calls[comp];

	for (size_t i = 0; i < n; i++)
		if (!strcmp(st->tcb_calls[comp][i], name))
			return;
	st->tcb_calls[comp] = gen_xrealloc(st->tcb_calls[comp],
					   (n + 1) * sizeof(char *));
	st->tcb_calls[comp][n] = name;
	st->ntcb_calls[comp] = n + 1;
}

/* Sections whose references are not the program's own: constructors run
 * by the C library, explicit gates, unwind tables. */
static int skipped_section(const char *n)
{
	return !strcmp(n, ".eh_frame") || !strncmp(n, ".init_array", 11) ||
	       !strncmp(n, ".fini_array", 11) ||
	       !strncmp(n, ".preinit_array", 14) || !strncmp(n, ".ctors", 6) ||
	       !strncmp(n, ".dtors", 6) || !strcmp(n, "flexos_entries") ||
	       !strcmp(n, ".text.flexos_gates");
}

static void edges_of(struct gen_state *st, long oi)
{
	struct gen_obj *o = &st->objs[oi];

	for (unsigned ri = 0; ri < o->nrels; ri++) {
		const struct gen_rel *r = &o->rels[ri];
		struct gen_def d;

		if (skipped_section(o->secs[r->sec].name) ||
		    target_of(st, oi, r, &d) < 0)
			continue;
		int to = gen_def_comp(st, d);
		const struct gen_obj *to_o = d.obj >= 0 ? &st->objs[d.obj] : o;
		const struct gen_sym *s = d.obj >= 0 ? gen_def_sym(st, d)
						     : &o->syms[r->sym];
		enum gen_edge_kind kind;

		if (d.obj < 0 || to == GEN_TCB) {
			if (is_call_site(o, r))
				add_tcb_call(st, o->comp, s->name);
			continue;
		}
		if (is_function(to_o, s))
			kind = is_call_site(o, r) ? GEN_CALL : GEN_ADDR;
		else if (is_writable_data(to_o, s))
			kind = GEN_DATA;
		else
			continue;
		/* Within a compartment only two things matter: functions
		 * whose address is taken (they may escape as callbacks) and
		 * uses of data marked shared (to warn when only one
		 * compartment uses it). */
		if (to == o->comp && kind == GEN_CALL)
			continue;
		if (to == o->comp && kind == GEN_DATA &&
		    (s->shndx >= to_o->nsecs ||
		     strncmp(to_o->secs[s->shndx].name, ".flexos.shared", 14)))
			continue;
		*GEN_PUSH(st->edges, st->nedges, st->capedges) =
			(struct gen_edge){ oi, ri, d, o->comp, to, kind };
		if (to != o->comp)
			st->crossing |= 1ul << o->comp | 1ul << to;
	}
}

int gen_analyze(struct gen_state *st)
{
	for (size_t i = 0; i < st->nins; i++) {
		struct gen_input *in = &st->ins[i];
		size_t before = st->nobjs;

		if (gen_load_input(in, &st->objs, &st->nobjs,
				   &st->capobjs) < 0)
			continue;
		(void)before;
	}
	gen_check_errors();
	resolve(st);
	if (st->cfg->ntcb && !st->link_mode)
		check_unresolved(st);
	gen_check_errors();
	st->tcb_calls = gen_xcalloc(st->cfg->ncomps, sizeof(char **));
	st->ntcb_calls = gen_xcalloc(st->cfg->ncomps, sizeof(size_t));
	for (size_t i = 0; i < st->nobjs; i++)
		if (st->objs[i].included && st->objs[i].comp != GEN_TCB)
			edges_of(st, (long)i);
	return 0;
}
