/* Decisions: a gate stub for every function called or pointed to across a
 * boundary, a callback stub for every function whose address is taken in
 * a compartment that talks to others (conservative: the pointer may reach
 * another compartment), the shared region for writable data used across a
 * boundary, and the sharing policy's heap call sites. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

void gen_edit(struct gen_obj *o, enum gen_edit_kind kind, unsigned index,
	      const char *name, int64_t addend_delta)
{
	size_t cap = o->nedits; /* grows by doubling past powers of two */

	if (!(cap & (cap - 1)) || !cap)
		o->edits = gen_xrealloc(o->edits, (cap ? 2 * cap : 4) *
							  sizeof(*o->edits));
	o->edits[o->nedits++] =
		(struct gen_edit){ kind, index, name, addend_delta };
}

static int lib_of_comp(const struct gen_state *st, int comp)
{
	for (size_t l = 0; l < st->cfg->nlibs; l++)
		if (st->cfg->libs[l].comp == comp)
			return (int)l;
	return -1;
}

static char *key_of(struct gen_def d)
{
	return gen_xasprintf("%ld:%u", d.obj, d.sym);
}

/* The stub for a definition, created on first use. */
static struct gen_stub *stub_for(struct gen_state *st, struct gen_def d)
{
	char *key = key_of(d);
	long at = gen_hash_get(&st->stubidx, key);
	struct gen_obj *o = &st->objs[d.obj];
	const struct gen_sym *s = &o->syms[d.sym];

	if (at >= 0) {
		free(key);
		return &st->stubs[at];
	}
	gen_hash_put(&st->stubidx, key, (long)st->nstubs);
	struct gen_stub *stub = GEN_PUSH(st->stubs, st->nstubs, st->capstubs);

	*stub = (struct gen_stub){ .def = d, .comp = o->comp, .lib = o->lib };
	if (stub->lib < 0)
		stub->lib = lib_of_comp(st, o->comp);
	if (s->bind != STB_LOCAL) {
		stub->name = gen_xasprintf("flexos_autogate__%s", s->name);
		stub->target = gen_xstrdup(s->name);
	} else {
		/* A static function: the stub reaches it through a global
		 * hidden alias added to its object; names stay unique. */
		stub->name = gen_xasprintf("flexos_autogate__%s__%s__%zu",
					   st->cfg->comps[o->comp].name,
					   s->name, st->nstubs - 1);
		stub->target = gen_xasprintf("flexos_autogate_impl__%s__%zu",
					     s->name, st->nstubs - 1);
		gen_edit(o, GEN_EDIT_ALIAS, d.sym, stub->target, 0);
	}
	return stub;
}

/* An undefined symbol renamed once per object, whatever refers to it. */
static void rename_undefined(struct gen_state *st, long oi, unsigned sym,
			     const char *name)
{
	struct gen_obj *o = &st->objs[oi];

	for (size_t i = 0; i < o->nedits; i++)
		if (o->edits[i].kind == GEN_EDIT_RENAME_SYM &&
		    o->edits[i].index == sym)
			return;
	gen_edit(o, GEN_EDIT_RENAME_SYM, sym, name, 0);
}

static void retarget(struct gen_state *st, long oi, unsigned ri,
		     struct gen_def d, const char *name)
{
	struct gen_obj *o = &st->objs[oi];
	const struct gen_rel *r = &o->rels[ri];
	const struct gen_sym *via = &o->syms[r->sym];
	int64_t delta = 0;

	/* Relative to a section symbol, the addend held the offset. */
	if (via->type == STT_SECTION)
		delta = -(int64_t)st->objs[d.obj].syms[d.sym].value;
	gen_edit(o, GEN_EDIT_RETARGET, ri, name, delta);
}

static void gates(struct gen_state *st)
{
	for (size_t i = 0; i < st->nedges; i++) {
		struct gen_edge *e = &st->edges[i];
		struct gen_obj *o = &st->objs[e->from];
		const struct gen_rel *r = &o->rels[e->rel];

		if (e->kind == GEN_DATA)
			continue;
		if (e->from_comp != e->to_comp) {
			struct gen_stub *stub = stub_for(st, e->to);

			stub->cross_call |= e->kind == GEN_CALL;
			stub->callers |= 1ul << e->from_comp;
			stub->escapes |= e->kind == GEN_ADDR;
			stub->callback |= e->kind == GEN_ADDR;
			if (o->syms[r->sym].shndx != SHN_UNDEF) {
				gen_warning(o->where, "'%s' resolves to "
					    "compartment '%s' over a weak "
					    "definition here: not gated",
					    o->syms[r->sym].name,
					    st->cfg->comps[e->to_comp].name);
				continue;
			}
			rename_undefined(st, e->from, r->sym, stub->name);
		} else if (e->kind == GEN_ADDR &&
			   (st->crossing >> e->from_comp & 1)) {
			struct gen_stub *stub = stub_for(st, e->to);

			stub->callback = 1;
			retarget(st, e->from, e->rel, e->to, stub->name);
		}
	}
}

static struct gen_shared *share(struct gen_state *st, struct gen_def d,
				int why)
{
	char *key = key_of(d);
	long at = gen_hash_get(&st->sharedidx, key);
	struct gen_obj *o = &st->objs[d.obj];
	const struct gen_sym *s = &o->syms[d.sym];
	struct gen_shared *sh;

	if (at >= 0) {
		free(key);
		sh = &st->shared[at];
		sh->why |= why;
		return sh;
	}
	gen_hash_put(&st->sharedidx, key, (long)st->nshared);
	sh = GEN_PUSH(st->shared, st->nshared, st->capshared);
	*sh = (struct gen_shared){ d, why, 1ul << o->comp, 0, -1 };
	if (s->shndx == SHN_COMMON) {
		gen_warning(o->where, "'%s' is a common symbol and cannot be "
			    "moved to the shared region; compile with "
			    "-fno-common", s->name);
		return sh;
	}
	const char *sec = o->secs[s->shndx].name;

	sh->marked = !strncmp(sec, ".flexos.shared", 14);
	if (sh->marked || (why & (GEN_SHARE_CROSS | GEN_SHARE_POLICY)) == 0)
		return sh;
	if (!o->sec_rename)
		o->sec_rename = gen_xcalloc(o->nsecs, sizeof(char *));
	if (!o->sec_rename[s->shndx])
		o->sec_rename[s->shndx] = gen_xstrdup(".flexos.shared");
	return sh;
}

static void data(struct gen_state *st)
{
	for (size_t i = 0; i < st->nedges; i++) {
		struct gen_edge *e = &st->edges[i];

		if (e->kind != GEN_DATA)
			continue;
		/* A sandbox's data, used by a compartment that reaches it
		 * (SANDBOXED_BY), stays where it is. */
		if (st->cfg->comps[e->to_comp].reached_by &
		    1ull << e->from_comp)
			continue;
		struct gen_shared *sh = share(st, e->to,
					      e->from_comp != e->to_comp
						      ? GEN_SHARE_CROSS
						      : 0);

		sh->users |= 1ul << e->from_comp;
		if (e->from_comp != e->to_comp && sh->first_edge < 0)
			sh->first_edge = (long)i;
	}
	/* Data marked FLEXOS_SHARED that no edge mentions is used by its own
	 * compartment at most. */
	for (size_t i = 0; i < st->nobjs; i++) {
		struct gen_obj *o = &st->objs[i];

		if (!gen_obj_in_compartment(o))
			continue;
		for (unsigned k = 1; k < o->nsyms; k++) {
			const struct gen_sym *s = &o->syms[k];

			if (s->type == STT_OBJECT && s->shndx &&
			    s->shndx < o->nsecs &&
			    !strncmp(o->secs[s->shndx].name, ".flexos.shared",
				     14))
				share(st, (struct gen_def){ (long)i, k }, 0);
		}
	}
}

/* The definitions a sharing policy names: symbols `name` of type `type`
 * defined in the compartments' objects (the TCB is not the policy's), in
 * object then symbol order.  Start with { name, type } and call
 * next_definition until it returns 0; `obj` and `sym` hold each one. */
struct definitions {
	const char *name;
	int type;
	size_t obj;
	unsigned sym;
};

static int next_definition(const struct gen_state *st, struct definitions *it)
{
	for (; it->obj < st->nobjs; it->obj++, it->sym = 0) {
		const struct gen_obj *o = &st->objs[it->obj];

		if (!gen_obj_in_compartment(o))
			continue;
		while (++it->sym < o->nsyms) { /* symbol 0 is the null one */
			const struct gen_sym *s = &o->syms[it->sym];

			if (s->type == it->type && s->shndx &&
			    !strcmp(s->name, it->name))
				return 1;
		}
	}
	return 0;
}

static void policy_data(struct gen_state *st)
{
	for (size_t p = 0; p < st->cfg->nshare_data; p++) {
		const char *name = st->cfg->share_data[p];
		struct definitions it = { name, STT_OBJECT, 0, 0 };
		int found = 0;

		while (next_definition(st, &it)) {
			struct gen_obj *o = &st->objs[it.obj];
			const struct gen_sym *s = &o->syms[it.sym];

			found = 1;
			if (!(s->shndx >= o->nsecs ||
			      (o->secs[s->shndx].flags & SHF_WRITE)))
				gen_note(o->where, "sharing policy: '%s' is "
					 "read-only: readable by all already",
					 name);
			else
				share(st, (struct gen_def){ (long)it.obj,
							    it.sym },
				      GEN_SHARE_POLICY);
		}
		if (!found)
			gen_error(st->cfg->path, "sharing policy: no "
				  "compartment defines data object '%s'", name);
	}
}

/* Heap call sites of the policy's functions go to the shared heap. */
static void policy_heap(struct gen_state *st)
{
	static const char *const from[] = { "malloc", "calloc", "realloc",
					    NULL };
	static const char *const to[] = { "flexos_shared_malloc",
					  "flexos_shared_calloc",
					  "flexos_shared_realloc" };
	static const char *const other[] = { "strdup", "strndup",
					     "posix_memalign", "aligned_alloc",
					     "memalign", "valloc", NULL };

	for (size_t p = 0; p < st->cfg->nshare_heap; p++) {
		const char *fn = st->cfg->share_heap[p];
		struct definitions it = { fn, STT_FUNC, 0, 0 };
		int found = 0;

		while (next_definition(st, &it)) {
			struct gen_obj *o = &st->objs[it.obj];
			const struct gen_sym *s = &o->syms[it.sym];
			long i = (long)it.obj;

			found = 1;
			for (unsigned ri = 0; ri < o->nrels; ri++) {
				const struct gen_rel *r = &o->rels[ri];
				const struct gen_sym *t = &o->syms[r->sym];

				if (r->sec != s->shndx || r->offset < s->value ||
				    r->offset >= s->value + s->size ||
				    t->shndx != SHN_UNDEF)
					continue;
				long at = gen_hash_get(&st->defs, t->name);

				/* The allocator of the TCB only. */
				if (at >= 0 &&
				    gen_def_comp(st, st->defv[at]) != GEN_TCB)
					continue;
				for (int a = 0; from[a]; a++) {
					if (strcmp(t->name, from[a]))
						continue;
					/* fcall shares everything already,
					 * and its free() knows only the C
					 * heap. */
					if (strcmp(st->cfg->backend, "fcall"))
						gen_edit(o, GEN_EDIT_RETARGET,
							 ri, to[a], 0);
					*GEN_PUSH(st->heapsites, st->nheapsites,
						  st->capheapsites) =
						(struct gen_heapsite){
							i, ri, from[a], to[a]
						};
				}
				for (int a = 0; other[a]; a++)
					if (!strcmp(t->name, other[a]))
						gen_warning(
							gen_where(st, i, r->sec,
								  r->offset),
							"sharing policy: %s() "
							"in '%s' has no "
							"shared-heap variant; "
							"its memory stays "
							"private",
							other[a], fn);
			}
		}
		if (!found)
			gen_error(st->cfg->path, "sharing policy: no "
				  "compartment defines function '%s'", fn);
	}
}

/* Other symbols of a section that moves: over-sharing, reported. */
char *gen_moves_with(const struct gen_state *st, struct gen_def d)
{
	const struct gen_obj *o = &st->objs[d.obj];
	unsigned sec = o->syms[d.sym].shndx;
	struct gen_buf b = { 0 };

	if (!o->sec_rename || sec >= o->nsecs || !o->sec_rename[sec])
		return NULL;
	for (unsigned k = 1; k < o->nsyms; k++)
		if (k != d.sym && o->syms[k].shndx == sec &&
		    o->syms[k].type == STT_OBJECT)
			gen_buf_printf(&b, "%s%s", b.len ? ", " : "",
				       o->syms[k].name);
	return b.s;
}

static void warn_data(struct gen_state *st)
{
	for (size_t i = 0; i < st->nshared; i++) {
		struct gen_shared *sh = &st->shared[i];
		struct gen_obj *o = &st->objs[sh->def.obj];
		const struct gen_sym *s = &o->syms[sh->def.sym];

		if (sh->marked && !(sh->users & (sh->users - 1)))
			gen_warning(gen_where(st, sh->def.obj, s->shndx,
					      s->value),
				    "'%s' is marked FLEXOS_SHARED but only "
				    "compartment '%s' uses it", s->name,
				    st->cfg->comps[o->comp].name);
		if (sh->marked || !(sh->why & GEN_SHARE_CROSS))
			continue;
		const struct gen_edge *e = &st->edges[sh->first_edge];
		const struct gen_obj *from = &st->objs[e->from];
		char *with = gen_moves_with(st, sh->def);

		gen_warning(gen_where(st, e->from, from->rels[e->rel].sec,
				      from->rels[e->rel].offset),
			    "'%s' of compartment '%s' is used by compartment "
			    "'%s' but not marked FLEXOS_SHARED; moved to the "
			    "shared region%s%s", s->name,
			    st->cfg->comps[o->comp].name,
			    st->cfg->comps[e->from_comp].name,
			    with ? " with the rest of its section: " : "",
			    with ? with : "");
		free(with);
	}
}

void gen_decide(struct gen_state *st)
{
	gates(st);
	data(st);
	policy_data(st);
	policy_heap(st);
	gen_check_errors();
	warn_data(st);
}
