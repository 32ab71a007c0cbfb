/* The reports: what flexos-gen decided and could not decide, for people
 * (text) and for tools and tests (JSON).  Both come from the same walk. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Edges that cross a boundary, by (from, to, target, site). */
static const struct gen_state *sort_st;

static int by_pair(const void *a, const void *b)
{
	const struct gen_edge *x = &sort_st->edges[*(const size_t *)a];
	const struct gen_edge *y = &sort_st->edges[*(const size_t *)b];

	if (x->from_comp != y->from_comp)
		return x->from_comp - y->from_comp;
	if (x->to_comp != y->to_comp)
		return x->to_comp - y->to_comp;
	int c = strcmp(gen_def_sym(sort_st, x->to)->name,
		       gen_def_sym(sort_st, y->to)->name);

	if (c)
		return c;
	if (x->to.obj != y->to.obj)
		return x->to.obj < y->to.obj ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static size_t *crossing_edges(const struct gen_state *st, size_t *n)
{
	size_t *v = gen_xmalloc((st->nedges + 1) * sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < st->nedges; i++)
		if (st->edges[i].from_comp != st->edges[i].to_comp &&
		    st->edges[i].kind != GEN_DATA)
			v[(*n)++] = i;
	sort_st = st;
	qsort(v, *n, sizeof(*v), by_pair);
	return v;
}

static const char *stub_name(const struct gen_state *st, struct gen_def d)
{
	char key[64];

	snprintf(key, sizeof(key), "%ld:%u", d.obj, d.sym);
	long at = gen_hash_get(&st->stubidx, key);

	return at >= 0 ? st->stubs[at].name : NULL;
}

static const char *site(struct gen_state *st, const struct gen_edge *e)
{
	const struct gen_rel *r = &st->objs[e->from].rels[e->rel];

	return gen_where(st, e->from, r->sec, r->offset);
}

static void json_str(struct gen_buf *b, const char *s)
{
	gen_buf_add(b, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			gen_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			gen_buf_printf(b, "\\u%04x", c);
		else
			gen_buf_add(b, s, 1);
	}
	gen_buf_add(b, "\"", 1);
}

static const char *kind_name(enum gen_edge_kind k)
{
	return k == GEN_CALL ? "call" : k == GEN_ADDR ? "address" : "data";
}

static size_t linked(const struct gen_state *st, int comp, size_t *total)
{
	size_t n = 0;

	*total = 0;
	for (size_t i = 0; i < st->nobjs; i++)
		if (st->objs[i].comp == comp) {
			++*total;
			n += st->objs[i].included != 0;
		}
	return n;
}

/* Whether `name` is how SafeStack code reaches its unsafe stack pointer:
 * the runtime's function (SPLIT_STACKS) or clang's default thread-local. */
static int safestack_symbol(const char *name)
{
	return !strcmp(name, "__safestack_pointer_address") ||
	       !strcmp(name, "__safestack_unsafe_stack_ptr");
}

/* Linked objects of `comp` that clang's SafeStack compiled (they refer to
 * its unsafe stack pointer: SPLIT_STACKS, whose locals handed to another
 * compartment cross on the shared unsafe stack). */
static size_t split_stack_objects(const struct gen_state *st, int comp)
{
	size_t n = 0;

	for (size_t i = 0; i < st->nobjs; i++) {
		const struct gen_obj *o = &st->objs[i];
		if (o->comp != comp || !o->included)
			continue;
		for (size_t k = 0; k < o->nsyms; k++)
			if (o->syms[k].shndx == SHN_UNDEF && o->syms[k].name &&
			    safestack_symbol(o->syms[k].name)) {
				n++;
				break;
			}
	}
	return n;
}

/* --- text ------------------------------------------------------------ */

static void text_compartments(struct gen_state *st, struct gen_buf *b)
{
	const struct gen_config *cfg = st->cfg;

	gen_buf_printf(b, "compartments\n");
	for (size_t c = 0; c < cfg->ncomps; c++) {
		size_t total, n = linked(st, (int)c, &total);

		size_t split = split_stack_objects(st, (int)c);

		gen_buf_printf(b, "  %s%s: %zu of %zu objects linked\n",
			       cfg->comps[c].name, c ? "" : " (default)", n,
			       total);
		gen_buf_printf(b, "    split stacks: %zu of %zu linked objects "
			       "(%s)\n", split, n,
			       split == n && n ? "SafeStack: locals whose "
			       "address escapes are on the shared unsafe stack"
			       : split ? "the others keep such locals on the "
			       "private stack, where another compartment "
			       "faults on them"
			       : "none: locals whose address escapes stay on the "
			       "private stack, where another compartment faults "
			       "on them");
		for (size_t l = 0; l < cfg->nlibs; l++) {
			if (cfg->libs[l].comp != (int)c)
				continue;
			gen_buf_printf(b, "    library %s", cfg->libs[l].token);
			for (size_t f = 0; f < cfg->libs[l].nfiles; f++)
				gen_buf_printf(b, " %s", cfg->libs[l].files[f]);
			gen_buf_printf(b, "\n");
		}
		gen_buf_printf(b, "    entry points:");
		size_t k = 0;

		for (size_t s = 0; s < st->nstubs; s++)
			if (st->stubs[s].comp == (int)c &&
			    (st->stubs[s].cross_call || st->stubs[s].escapes))
				gen_buf_printf(b, " %s", gen_def_sym(st,
					       st->stubs[s].def)->name), k++;
		gen_buf_printf(b, "%s\n    callbacks (address taken):",
			       k ? "" : " none");
		k = 0;
		for (size_t s = 0; s < st->nstubs; s++)
			if (st->stubs[s].comp == (int)c &&
			    st->stubs[s].callback)
				gen_buf_printf(b, " %s", gen_def_sym(st,
					       st->stubs[s].def)->name), k++;
		gen_buf_printf(b, "%s\n    calls into the TCB:",
			       k ? "" : " none");
		for (size_t t = 0; t < st->ntcb_calls[c]; t++)
			gen_buf_printf(b, " %s", st->tcb_calls[c][t]);
		gen_buf_printf(b, "%s\n", st->ntcb_calls[c] ? "" : " none");
	}
}

static void text_gates(struct gen_state *st, struct gen_buf *b)
{
	size_t n, *v = crossing_edges(st, &n);

	gen_buf_printf(b, "\ngates (per pair of compartments)\n");
	if (!n)
		gen_buf_printf(b, "  none: no call crosses a boundary\n");
	for (size_t i = 0; i < n;) {
		const struct gen_edge *e = &st->edges[v[i]];
		size_t j = i, fns = 0;

		for (; j < n && st->edges[v[j]].from_comp == e->from_comp &&
		       st->edges[v[j]].to_comp == e->to_comp;
		     j++)
			if (j == i || st->edges[v[j]].to.obj !=
					      st->edges[v[j - 1]].to.obj ||
			    st->edges[v[j]].to.sym != st->edges[v[j - 1]].to.sym)
				fns++;
		gen_buf_printf(b, "  %s -> %s: %zu function%s, %zu reference%s\n",
			       st->cfg->comps[e->from_comp].name,
			       st->cfg->comps[e->to_comp].name, fns,
			       fns == 1 ? "" : "s", j - i,
			       j - i == 1 ? "" : "s");
		for (size_t k = i; k < j; k++) {
			const struct gen_edge *x = &st->edges[v[k]];

			if (k == i || x->to.obj != st->edges[v[k - 1]].to.obj ||
			    x->to.sym != st->edges[v[k - 1]].to.sym)
				gen_buf_printf(b, "    %s via %s\n",
					       gen_def_sym(st, x->to)->name,
					       stub_name(st, x->to));
			gen_buf_printf(b, "      %s at %s\n", kind_name(x->kind),
				       site(st, x));
		}
		i = j;
	}
	free(v);
}

static int by_count(const void *a, const void *b)
{
	const struct gen_crossing *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Which gates are hot: the counts of -k, most taken first. */
static void text_crossings(struct gen_state *st, struct gen_buf *b)
{
	if (!st->crossings_path)
		return;
	gen_buf_printf(b, "\ngate crossings counted at run time (%s)\n",
		       st->crossings_path);
	if (!st->ncrossings)
		gen_buf_printf(b, "  none\n");
	qsort(st->crossings, st->ncrossings, sizeof(*st->crossings),
	      by_count);
	for (size_t i = 0; i < st->ncrossings; i++) {
		const struct gen_crossing *c = &st->crossings[i];
		const struct gen_stub *s = &st->stubs[c->stub];

		gen_buf_printf(b, "  %s -> %s: %s %llu\n",
			       st->cfg->comps[c->caller].name,
			       st->cfg->comps[s->comp].name,
			       gen_def_sym(st, s->def)->name, c->count);
	}
}

static void users(const struct gen_state *st, unsigned long u,
		  struct gen_buf *b, int json)
{
	int first = 1;

	for (size_t c = 0; c < st->cfg->ncomps; c++) {
		if (!(u >> c & 1))
			continue;
		if (json) {
			gen_buf_add(b, first ? "" : ", ", first ? 0 : 2);
			json_str(b, st->cfg->comps[c].name);
		} else {
			gen_buf_printf(b, "%s%s", first ? "" : ", ",
				       st->cfg->comps[c].name);
		}
		first = 0;
	}
}

static void text_shared(struct gen_state *st, struct gen_buf *b)
{
	gen_buf_printf(b, "\nshared data\n");
	if (!st->nshared && !st->nheapsites)
		gen_buf_printf(b, "  none\n");
	for (size_t i = 0; i < st->nshared; i++) {
		const struct gen_shared *sh = &st->shared[i];
		const struct gen_obj *o = &st->objs[sh->def.obj];
		const struct gen_sym *s = &o->syms[sh->def.sym];
		char *with = gen_moves_with(st, sh->def);

		gen_buf_printf(b, "  %s (%llu bytes, %s, compartment %s): %s; "
			       "used by ", s->name,
			       (unsigned long long)s->size, o->where,
			       st->cfg->comps[o->comp].name,
			       sh->marked ? "marked FLEXOS_SHARED"
			       : sh->why & GEN_SHARE_CROSS
				       ? "used across compartments"
				       : "sharing policy");
		users(st, sh->users, b, 0);
		gen_buf_printf(b, "\n");
		if (with)
			gen_buf_printf(b, "    moves with it: %s\n", with);
		free(with);
	}
	for (size_t i = 0; i < st->nheapsites; i++) {
		const struct gen_heapsite *h = &st->heapsites[i];
		const struct gen_rel *r = &st->objs[h->obj].rels[h->rel];

		gen_buf_printf(b, "  heap: %s() -> %s() at %s (sharing policy)\n",
			       h->from, h->to,
			       gen_where(st, h->obj, r->sec, r->offset));
	}
}

char *gen_report_text(struct gen_state *st)
{
	struct gen_buf b = { 0 };

	gen_buf_printf(&b, "flexos-gen report: image '%s', backend %s\n",
		       st->cfg->image, st->cfg->backend);
	if (st->graph_note)
		gen_buf_printf(&b, "%s\n", st->graph_note);
	gen_buf_printf(&b, "\n");
	text_compartments(st, &b);
	text_gates(st, &b);
	text_crossings(st, &b);
	text_shared(st, &b);
	gen_buf_printf(&b, "\nprotection-key instructions outside the TCB\n");
	if (st->cfg->scan == GEN_SCAN_OFF)
		gen_buf_printf(&b, "  not scanned (pkru-scan off)\n");
	else if (!st->nfindings)
		gen_buf_printf(&b, "  none\n");
	for (size_t i = 0; i < st->nfindings; i++) {
		const struct gen_finding *f = &st->findings[i];

		gen_buf_printf(&b, "  %s at %s\n", f->what,
			       gen_where(st, f->obj, f->sec, f->off));
	}
	gen_buf_printf(&b, "\nwarnings: %zu\n", gen_ndiags);
	for (size_t i = 0; i < gen_ndiags; i++)
		gen_buf_printf(&b, "  %s: warning: %s\n", gen_diags[i].where,
			       gen_diags[i].msg);
	return b.s;
}

/* --- JSON ------------------------------------------------------------ */

static void json_stubs(struct gen_state *st, struct gen_buf *b, int comp,
		       int callbacks)
{
	int first = 1;

	for (size_t s = 0; s < st->nstubs; s++) {
		const struct gen_stub *x = &st->stubs[s];

		if (x->comp != comp ||
		    !(callbacks ? x->callback : x->cross_call || x->escapes))
			continue;
		gen_buf_printf(b, "%s{\"function\": ", first ? "" : ", ");
		json_str(b, gen_def_sym(st, x->def)->name);
		gen_buf_printf(b, ", \"stub\": ");
		json_str(b, x->name);
		gen_buf_printf(b, ", \"object\": ");
		json_str(b, st->objs[x->def.obj].where);
		gen_buf_printf(b, "}");
		first = 0;
	}
}

static void json_compartments(struct gen_state *st, struct gen_buf *b)
{
	const struct gen_config *cfg = st->cfg;

	gen_buf_printf(b, "  \"compartments\": [\n");
	for (size_t c = 0; c < cfg->ncomps; c++) {
		size_t total, n = linked(st, (int)c, &total);

		gen_buf_printf(b, "    {\"name\": ");
		json_str(b, cfg->comps[c].name);
		gen_buf_printf(b, ", \"default\": %s, \"objects_linked\": %zu, "
			       "\"objects\": %zu, \"split_stack_objects\": %zu, "
			       "\"libraries\": [",
			       c ? "false" : "true", n, total,
			       split_stack_objects(st, (int)c));
		int first = 1;

		for (size_t l = 0; l < cfg->nlibs; l++) {
			if (cfg->libs[l].comp != (int)c)
				continue;
			gen_buf_printf(b, "%s{\"name\": ", first ? "" : ", ");
			json_str(b, cfg->libs[l].token);
			gen_buf_printf(b, ", \"files\": [");
			for (size_t f = 0; f < cfg->libs[l].nfiles; f++) {
				gen_buf_printf(b, "%s", f ? ", " : "");
				json_str(b, cfg->libs[l].files[f]);
			}
			gen_buf_printf(b, "]}");
			first = 0;
		}
		gen_buf_printf(b, "],\n     \"entry_points\": [");
		json_stubs(st, b, (int)c, 0);
		gen_buf_printf(b, "],\n     \"callbacks\": [");
		json_stubs(st, b, (int)c, 1);
		gen_buf_printf(b, "],\n     \"tcb_calls\": [");
		for (size_t t = 0; t < st->ntcb_calls[c]; t++) {
			gen_buf_printf(b, "%s", t ? ", " : "");
			json_str(b, st->tcb_calls[c][t]);
		}
		gen_buf_printf(b, "]}%s\n", c + 1 < cfg->ncomps ? "," : "");
	}
	gen_buf_printf(b, "  ],\n");
}

static void json_gates(struct gen_state *st, struct gen_buf *b)
{
	size_t n, *v = crossing_edges(st, &n);

	gen_buf_printf(b, "  \"gates\": [");
	for (size_t i = 0; i < n;) {
		const struct gen_edge *e = &st->edges[v[i]];
		size_t j = i;

		while (j < n && st->edges[v[j]].from_comp == e->from_comp &&
		       st->edges[v[j]].to_comp == e->to_comp)
			j++;
		gen_buf_printf(b, "%s\n    {\"from\": ", i ? "," : "");
		json_str(b, st->cfg->comps[e->from_comp].name);
		gen_buf_printf(b, ", \"to\": ");
		json_str(b, st->cfg->comps[e->to_comp].name);
		gen_buf_printf(b, ", \"functions\": [");
		for (size_t k = i; k < j; k++) {
			const struct gen_edge *x = &st->edges[v[k]];
			int head = k == i ||
				   x->to.obj != st->edges[v[k - 1]].to.obj ||
				   x->to.sym != st->edges[v[k - 1]].to.sym;

			if (head) {
				gen_buf_printf(b, "%s\n      {\"function\": ",
					       k == i ? "" : "]},");
				json_str(b, gen_def_sym(st, x->to)->name);
				gen_buf_printf(b, ", \"stub\": ");
				json_str(b, stub_name(st, x->to));
				gen_buf_printf(b, ", \"sites\": [");
			}
			gen_buf_printf(b, "%s{\"kind\": \"%s\", \"where\": ",
				       head ? "" : ", ", kind_name(x->kind));
			json_str(b, site(st, x));
			gen_buf_printf(b, "}");
		}
		gen_buf_printf(b, "]}]}");
		i = j;
	}
	gen_buf_printf(b, "\n  ],\n");
	free(v);
}

static void json_shared(struct gen_state *st, struct gen_buf *b)
{
	gen_buf_printf(b, "  \"shared\": [");
	for (size_t i = 0; i < st->nshared; i++) {
		const struct gen_shared *sh = &st->shared[i];
		const struct gen_obj *o = &st->objs[sh->def.obj];
		const struct gen_sym *s = &o->syms[sh->def.sym];
		char *with = gen_moves_with(st, sh->def);

		gen_buf_printf(b, "%s\n    {\"symbol\": ", i ? "," : "");
		json_str(b, s->name);
		gen_buf_printf(b, ", \"compartment\": ");
		json_str(b, st->cfg->comps[o->comp].name);
		gen_buf_printf(b, ", \"object\": ");
		json_str(b, o->where);
		gen_buf_printf(b, ", \"size\": %llu, \"why\": \"%s\", "
			       "\"users\": [", (unsigned long long)s->size,
			       sh->marked ? "marked"
			       : sh->why & GEN_SHARE_CROSS ? "cross-compartment"
							   : "policy");
		users(st, sh->users, b, 1);
		gen_buf_printf(b, "], \"moves_with\": ");
		json_str(b, with ? with : "");
		gen_buf_printf(b, "}");
		free(with);
	}
	gen_buf_printf(b, "\n  ],\n  \"heap_sites\": [");
	for (size_t i = 0; i < st->nheapsites; i++) {
		const struct gen_heapsite *h = &st->heapsites[i];
		const struct gen_rel *r = &st->objs[h->obj].rels[h->rel];

		gen_buf_printf(b, "%s\n    {\"from\": \"%s\", \"to\": \"%s\", "
			       "\"where\": ", i ? "," : "", h->from, h->to);
		json_str(b, gen_where(st, h->obj, r->sec, r->offset));
		gen_buf_printf(b, "}");
	}
	gen_buf_printf(b, "\n  ],\n");
}

char *gen_report_json(struct gen_state *st)
{
	struct gen_buf b = { 0 };

	gen_buf_printf(&b, "{\n  \"image\": ");
	json_str(&b, st->cfg->image);
	gen_buf_printf(&b, ",\n  \"backend\": ");
	json_str(&b, st->cfg->backend);
	gen_buf_printf(&b, ",\n");
	json_compartments(st, &b);
	json_gates(st, &b);
	json_shared(st, &b);
	gen_buf_printf(&b, "  \"pkru_instructions\": [");
	for (size_t i = 0; i < st->nfindings; i++) {
		const struct gen_finding *f = &st->findings[i];

		gen_buf_printf(&b, "%s\n    {\"instruction\": \"%s\", "
			       "\"compartment\": ", i ? "," : "", f->what);
		json_str(&b, st->cfg->comps[st->objs[f->obj].comp].name);
		gen_buf_printf(&b, ", \"where\": ");
		json_str(&b, gen_where(st, f->obj, f->sec, f->off));
		gen_buf_printf(&b, "}");
	}
	gen_buf_printf(&b, "\n  ],\n  \"warnings\": [");
	for (size_t i = 0; i < gen_ndiags; i++) {
		gen_buf_printf(&b, "%s\n    {\"where\": ", i ? "," : "");
		json_str(&b, gen_diags[i].where);
		gen_buf_printf(&b, ", \"message\": ");
		json_str(&b, gen_diags[i].msg);
		gen_buf_printf(&b, "}");
	}
	gen_buf_printf(&b, "\n  ]\n}\n");
	return b.s;
}
