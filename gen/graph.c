/* report.dot: the compartment graph, for graphviz (`dot -Tsvg`) and the
 * many viewers that read DOT.  Each compartment is a cluster holding a
 * node for itself and one per library; each gate is one edge from the
 * caller compartment to the library defining the entry, labelled with the
 * entry.  With counts (-k) the label carries them and the edge's width
 * grows with their number of digits, so that the hot gates stand out;
 * an entry the run took that no static reference explains (an indirect
 * call through a pointer handed over) is a dashed edge. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

struct gate_edge {
	int from;
	size_t stub;
	int call;	/* a call site crosses (not only an address) */
	int seen;	/* static reference found */
	int counted;
	unsigned long long count;
};

static struct gate_edge *edge_of(struct gate_edge **v, size_t *n,
				 size_t *cap, int from, size_t stub)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].from == from && (*v)[i].stub == stub)
			return &(*v)[i];
	struct gate_edge *e = GEN_PUSH(*v, *n, *cap);

	*e = (struct gate_edge){ .from = from, .stub = stub };
	return e;
}

static void quoted(struct gen_buf *b, const char *s)
{
	gen_buf_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			gen_buf_add(b, "\\", 1);
		gen_buf_add(b, s, 1);
	}
	gen_buf_add(b, "\"", 1);
}

static int digits(unsigned long long x)
{
	int d = 1;

	while (x >= 10) {
		x /= 10;
		d++;
	}
	return d;
}

static void clusters(const struct gen_state *st, struct gen_buf *b)
{
	const struct gen_config *cfg = st->cfg;

	for (size_t c = 0; c < cfg->ncomps; c++) {
		gen_buf_printf(b, "  subgraph \"cluster_%zu\" {\n    label=", c);
		quoted(b, cfg->comps[c].name);
		gen_buf_printf(b, ";\n    style=rounded;\n    \"c%zu\" [shape=plaintext, "
			       "label=", c);
		char *name = gen_xasprintf("compartment %s%s",
					   cfg->comps[c].name,
					   c ? "" : " (default)");

		quoted(b, name);
		free(name);
		gen_buf_printf(b, "];\n");
		for (size_t l = 0; l < cfg->nlibs; l++) {
			if (cfg->libs[l].comp != (int)c)
				continue;
			gen_buf_printf(b, "    \"l%zu\" [shape=box, label=", l);
			quoted(b, cfg->libs[l].token);
			gen_buf_printf(b, "];\n");
		}
		gen_buf_printf(b, "  }\n");
	}
}

char *gen_report_dot(struct gen_state *st)
{
	struct gen_buf b = { 0 };
	struct gate_edge *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < st->nedges; i++) {
		const struct gen_edge *e = &st->edges[i];
		char key[64];

		if (e->from_comp == e->to_comp || e->kind == GEN_DATA ||
		    e->from_comp < 0 || e->to_comp < 0)
			continue;
		snprintf(key, sizeof(key), "%ld:%u", e->to.obj, e->to.sym);
		long s = gen_hash_get(&st->stubidx, key);

		if (s < 0)
			continue;
		struct gate_edge *g = edge_of(&v, &n, &cap, e->from_comp,
					      (size_t)s);
		g->seen = 1;
		g->call |= e->kind == GEN_CALL;
	}
	for (size_t i = 0; i < st->ncrossings; i++) {
		struct gate_edge *g = edge_of(&v, &n, &cap,
					      st->crossings[i].caller,
					      st->crossings[i].stub);
		g->counted = 1;
		g->count = st->crossings[i].count;
	}

	gen_buf_printf(&b, "// flexos-gen: compartment graph of image '%s' "
		       "(dot -Tsvg report.dot > report.svg)\n",
		       st->cfg->image);
	gen_buf_printf(&b, "digraph flexos {\n  graph [rankdir=LR, label=");
	char *title = gen_xasprintf("image %s, backend %s%s%s", st->cfg->image,
				    st->cfg->backend,
				    st->crossings_path ? ", crossings from "
						       : "",
				    st->crossings_path ? st->crossings_path
						       : "");

	quoted(&b, title);
	free(title);
	gen_buf_printf(&b, ", labelloc=t];\n  node [fontname=\"Helvetica\"];\n"
		       "  edge [fontname=\"Helvetica\", fontsize=10];\n");
	clusters(st, &b);
	for (size_t i = 0; i < n; i++) {
		const struct gate_edge *g = &v[i];
		const struct gen_stub *s = &st->stubs[g->stub];
		int lib = st->objs[s->def.obj].lib;
		char *label = gen_xstrdup(gen_def_sym(st, s->def)->name), *t;

		if (!g->call && g->seen) {
			t = gen_xasprintf("%s (address)", label);
			free(label);
			label = t;
		}
		if (st->crossings_path) {
			t = gen_xasprintf("%s\n%llu crossing%s", label, g->count,
					  g->count == 1 ? "" : "s");
			free(label);
			label = t;
		}
		gen_buf_printf(&b, "  \"c%d\" -> \"%c%d\" [label=", g->from,
			       lib >= 0 ? 'l' : 'c', lib >= 0 ? lib : s->comp);
		/* "\n" in a DOT string is graphviz's own line break. */
		struct gen_buf esc = { 0 };

		quoted(&esc, label);
		for (char *p = esc.s; *p; p++)
			if (*p == '\n')
				gen_buf_add(&b, "\\n", 2);
			else
				gen_buf_add(&b, p, 1);
		free(esc.s);
		free(label);
		if (!g->seen)
			gen_buf_printf(&b, ", style=dashed, tooltip=\"taken at "
				       "run time; no static reference (a "
				       "pointer handed over)\"");
		else if (!g->call)
			gen_buf_printf(&b, ", style=dotted");
		if (st->crossings_path)
			gen_buf_printf(&b, ", penwidth=%d, weight=%d",
				       g->count ? digits(g->count) : 1,
				       g->count ? digits(g->count) : 1);
		gen_buf_printf(&b, "];\n");
	}
	gen_buf_printf(&b, "}\n");
	free(v);
	return b.s;
}
