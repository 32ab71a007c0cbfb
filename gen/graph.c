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

/* A label that may hold line breaks: "\n" in a DOT string is graphviz's. */
static void label_attr(struct gen_buf *b, const char *label)
{
	struct gen_buf esc = { 0 };

	gen_buf_printf(b, "label=");
	quoted(&esc, label);
	for (char *p = esc.s; *p; p++)
		if (*p == '\n')
			gen_buf_add(b, "\\n", 2);
		else
			gen_buf_add(b, p, 1);
	free(esc.s);
}

/* The node an edge into `g`'s entry ends at: the entry's library, or its
 * compartment's own node for an object of no library. */
static int head_of(const struct gen_state *st, const struct gate_edge *g,
		   char *kind)
{
	const struct gen_stub *s = &st->stubs[g->stub];
	int lib = st->objs[s->def.obj].lib;

	*kind = lib >= 0 ? 'l' : 'c';
	return lib >= 0 ? lib : s->comp;
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

static void one_edge(const struct gen_state *st, struct gen_buf *b,
		     const struct gate_edge *g)
{
	const struct gen_stub *s = &st->stubs[g->stub];
	char kind, *label = gen_xstrdup(gen_def_sym(st, s->def)->name), *t;
	int head = head_of(st, g, &kind);

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
	gen_buf_printf(b, "  \"c%d\" -> \"%c%d\" [", g->from, kind, head);
	label_attr(b, label);
	free(label);
	if (!g->seen)
		gen_buf_printf(b, ", style=dashed, tooltip=\"taken at run time; "
			       "no static reference (a pointer handed over)\"");
	else if (!g->call)
		gen_buf_printf(b, ", style=dotted");
	if (st->crossings_path)
		gen_buf_printf(b, ", penwidth=%d, weight=%d",
			       g->count ? digits(g->count) : 1,
			       g->count ? digits(g->count) : 1);
	gen_buf_printf(b, "];\n");
}

static const struct gen_state *sort_st;

static int by_head_then_count(const void *a, const void *b)
{
	const struct gate_edge *x = a, *y = b;
	char kx, ky;
	int hx = head_of(sort_st, x, &kx), hy = head_of(sort_st, y, &ky);

	if (x->from != y->from)
		return x->from - y->from;
	if (kx != ky)
		return kx - ky;
	if (hx != hy)
		return hx - hy;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(gen_def_sym(sort_st, sort_st->stubs[x->stub].def)->name,
		      gen_def_sym(sort_st, sort_st->stubs[y->stub].def)->name);
}

/* More edges than graphviz lays out in reasonable time (2000 labelled
 * edges between 8 clusters took dot 18 s, at every link): one edge per
 * pair of nodes, naming how many entries it stands for and the hottest
 * (or first) three.  report.txt still lists every gate. */
static void merged(const struct gen_state *st, struct gen_buf *b,
		   struct gate_edge *v, size_t n, size_t most)
{
	gen_buf_printf(b, "  // %zu gates, more than %zu: one edge per pair "
		       "of nodes (FLEXOS_GEN_GRAPH_EDGES sets the limit)\n",
		       n, most);
	sort_st = st;
	qsort(v, n, sizeof(*v), by_head_then_count);
	for (size_t i = 0; i < n;) {
		char ki, kj;
		int hi = head_of(st, &v[i], &ki);
		size_t j = i;
		unsigned long long total = 0;
		struct gen_buf label = { 0 };

		while (j < n && v[j].from == v[i].from &&
		       head_of(st, &v[j], &kj) == hi && kj == ki)
			total += v[j++].count;
		gen_buf_printf(&label, "%zu entr%s: ", j - i,
			       j - i == 1 ? "y" : "ies");
		for (size_t k = i; k < j && k < i + 3; k++) {
			const char *name =
				gen_def_sym(st, st->stubs[v[k].stub].def)->name;

			if (st->crossings_path)
				gen_buf_printf(&label, "%s%s %llu",
					       k > i ? ", " : "", name,
					       v[k].count);
			else
				gen_buf_printf(&label, "%s%s", k > i ? ", " : "",
					       name);
		}
		if (j - i > 3)
			gen_buf_printf(&label, ", ...");
		if (st->crossings_path)
			gen_buf_printf(&label, "\n%llu crossing%s", total,
				       total == 1 ? "" : "s");
		gen_buf_printf(b, "  \"c%d\" -> \"%c%d\" [", v[i].from, ki, hi);
		label_attr(b, label.s);
		free(label.s);
		if (st->crossings_path)
			gen_buf_printf(b, ", penwidth=%d, weight=%d",
				       total ? digits(total) : 1,
				       total ? digits(total) : 1);
		gen_buf_printf(b, "];\n");
		i = j;
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
	const char *env = getenv("FLEXOS_GEN_GRAPH_EDGES");
	size_t most = env && *env ? strtoul(env, NULL, 10) : 150;

	if (n > most)
		merged(st, &b, v, n, most);
	else
		for (size_t i = 0; i < n; i++)
			one_edge(st, &b, &v[i]);
	gen_buf_printf(&b, "}\n");
	free(v);
	return b.s;
}
