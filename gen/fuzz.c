/* libFuzzer target for flexos-gen's ELF reading: any bytes, read as an
 * object or an archive, must give a clean error or a checked index, never
 * a crash or an out-of-bounds read.  Built with clang when available
 * (target flexos-gen-fuzz); tests/gen runs it for a few seconds. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static void release(struct gen_input *in, struct gen_obj *objs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gen_obj *o = &objs[i];

		if (o->elf && o->elf != in->elf)
			elf_end(o->elf);
		free(o->secs);
		free(o->syms);
		free(o->rels);
		free(o->fns);
		free(o->member);
		free(o->where);
	}
	free(objs);
	for (size_t i = 0; i < in->ndynsyms; i++)
		free(in->dynsyms[i]);
	free(in->dynsyms);
	if (in->elf)
		elf_end(in->elf);
	free(in->data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct gen_input in = { .path = "fuzz-input", .comp = 0, .lib = 0 };
	struct gen_obj *objs = NULL;
	size_t n = 0, cap = 0;

	if (!ready) {
		elf_version(EV_CURRENT);
		gen_quiet = 2;
		ready = 1;
	}
	in.data = gen_xmalloc(size + 1);
	memcpy(in.data, data, size);
	in.size = size;
	if (gen_load_input(&in, &objs, &n, &cap) == 0) {
		/* What the analysis does next with the indices. */
		for (size_t i = 0; i < n; i++)
			for (size_t r = 0; r < objs[i].nrels; r++) {
				const struct gen_rel *rel = &objs[i].rels[r];
				const struct gen_sym *s = &objs[i].syms[rel->sym];

				gen_fn_at(&objs[i], rel->sec, rel->offset, 0);
				if (s->shndx < objs[i].nsecs)
					gen_fn_at(&objs[i], s->shndx,
						  (uint64_t)rel->addend, 1);
			}
	}
	release(&in, objs, n);
	for (size_t i = 0; i < gen_ndiags; i++) {
		free(gen_diags[i].where);
		free(gen_diags[i].msg);
	}
	gen_ndiags = 0;
	gen_nerrors = 0;
	return 0;
}
