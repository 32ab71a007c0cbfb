/* Reading ELF relocatable objects and static archives with libelf.  Every
 * index read from a file is checked before use: inputs may be truncated or
 * corrupt, and the fuzz target feeds this file random bytes. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static int bad(struct gen_obj *o, const char *what)
{
	gen_error(o->where, "corrupt object: %s (%s)", what,
		  elf_errno() ? elf_errmsg(-1) : "bad index");
	return -1;
}

static int by_position(const void *a, const void *b)
{
	const struct gen_fn *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (x->sym > y->sym) - (x->sym < y->sym);
}

const struct gen_fn *gen_fn_at(const struct gen_obj *o, unsigned sec,
			       uint64_t off, int exact)
{
	size_t lo = 0, hi = o->nfns;
	const struct gen_fn *best = NULL;

	/* The last symbol starting at or before off in sec. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct gen_fn *f = &o->fns[mid];

		if (f->sec < sec || (f->sec == sec && f->value <= off)) {
			if (f->sec == sec)
				best = f;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (!best)
		return NULL;
	/* Prefer a function over an object, a global over a local, when
	 * several symbols share the address. */
	const struct gen_fn *f = best;

	while (f > o->fns && f[-1].sec == sec && f[-1].value == best->value)
		f--;
	for (const struct gen_fn *g = f;
	     g < o->fns + o->nfns && g->sec == sec && g->value == best->value;
	     g++) {
		const struct gen_sym *s = &o->syms[g->sym];

		if (s->type == STT_FUNC && s->bind != STB_LOCAL) {
			best = g;
			break;
		}
		if (s->type == STT_FUNC &&
		    o->syms[best->sym].type != STT_FUNC)
			best = g;
	}
	if (exact)
		return best->value == off ? best : NULL;
	if (off >= best->value + (best->size ? best->size : 1))
		return NULL;
	return best;
}

static int load_sections(struct gen_obj *o, size_t *strndx)
{
	size_t n;

	if (elf_getshdrnum(o->elf, &n) < 0 || elf_getshdrstrndx(o->elf, strndx))
		return bad(o, "section headers");
	if (n > 1000000)
		return bad(o, "section count");
	o->nsecs = n;
	o->secs = gen_xcalloc(n, sizeof(*o->secs));
	for (size_t i = 1; i < n; i++) {
		Elf_Scn *scn = elf_getscn(o->elf, i);
		GElf_Shdr sh;
		struct gen_sec *s = &o->secs[i];

		if (!scn || !gelf_getshdr(scn, &sh))
			return bad(o, "section header");
		s->name = elf_strptr(o->elf, *strndx, sh.sh_name);
		if (!s->name)
			return bad(o, "section name");
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->size = sh.sh_size;
		if (sh.sh_type == SHT_NOBITS || !sh.sh_size ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);

		if (!d || d->d_size != sh.sh_size || !d->d_buf)
			return bad(o, "section contents");
		s->bytes = d->d_buf;
	}
	o->secs[0].name = "";
	return 0;
}

static int load_symbols(struct gen_obj *o)
{
	Elf_Data *data = NULL, *xdata = NULL;
	GElf_Shdr sh;
	size_t strtab = 0, fcap = 0;

	for (size_t i = 1; i < o->nsecs; i++) {
		Elf_Scn *scn = elf_getscn(o->elf, i);

		if (o->secs[i].type == SHT_SYMTAB) {
			if (o->symtab)
				return bad(o, "two symbol tables");
			o->symtab = (unsigned)i;
			if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize ||
			    sh.sh_link >= o->nsecs)
				return bad(o, "symbol table header");
			strtab = sh.sh_link;
			data = elf_getdata(scn, NULL);
			if (!data)
				return bad(o, "symbol table");
		} else if (o->secs[i].type == SHT_SYMTAB_SHNDX) {
			xdata = elf_getdata(scn, NULL);
		}
	}
	if (!o->symtab)
		return 0; /* an empty object */
	o->nsyms = sh.sh_size / sh.sh_entsize;
	if (o->nsyms > data->d_size / sizeof(Elf64_Sym))
		return bad(o, "symbol count");
	o->syms = gen_xcalloc(o->nsyms, sizeof(*o->syms));
	for (size_t i = 1; i < o->nsyms; i++) {
		GElf_Sym sym;
		Elf32_Word x = 0;
		struct gen_sym *s = &o->syms[i];

		if (!gelf_getsymshndx(data, xdata, (int)i, &sym, &x))
			return bad(o, "symbol");
		s->name = elf_strptr(o->elf, strtab, sym.st_name);
		if (!s->name)
			return bad(o, "symbol name");
		s->bind = GELF_ST_BIND(sym.st_info);
		s->type = GELF_ST_TYPE(sym.st_info);
		s->vis = GELF_ST_VISIBILITY(sym.st_other);
		s->value = sym.st_value;
		s->size = sym.st_size;
		s->shndx = sym.st_shndx == SHN_XINDEX ? x : sym.st_shndx;
		if (s->shndx >= o->nsecs && s->shndx < SHN_LORESERVE)
			return bad(o, "symbol section index");
		if (s->type == STT_SECTION && s->shndx < o->nsecs)
			s->name = o->secs[s->shndx].name;
		if ((s->type == STT_FUNC || s->type == STT_OBJECT) &&
		    s->shndx && s->shndx < o->nsecs)
			*GEN_PUSH(o->fns, o->nfns, fcap) =
				(struct gen_fn){ s->shndx, (unsigned)i,
						 s->value, s->size };
	}
	if (o->nfns)
		qsort(o->fns, o->nfns, sizeof(*o->fns), by_position);
	return 0;
}

static int load_relocations(struct gen_obj *o)
{
	size_t cap = 0;

	for (size_t i = 1; i < o->nsecs; i++) {
		Elf_Scn *scn = elf_getscn(o->elf, i);
		GElf_Shdr sh;

		if (o->secs[i].type == SHT_REL) {
			gen_warning(o->where, "SHT_REL section '%s' ignored",
				    o->secs[i].name);
			continue;
		}
		if (o->secs[i].type != SHT_RELA)
			continue;
		if (!gelf_getshdr(scn, &sh))
			return bad(o, "relocation section header");
		if (sh.sh_info >= o->nsecs || !sh.sh_info ||
		    sh.sh_link != o->symtab)
			return bad(o, "relocation section links");
		/* Debug information refers to code but never calls it. */
		if (!(o->secs[sh.sh_info].flags & SHF_ALLOC))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);

		if (!d || !sh.sh_entsize)
			return bad(o, "relocations");
		size_t n = d->d_size / sizeof(Elf64_Rela);

		for (size_t k = 0; k < n; k++) {
			GElf_Rela r;

			if (!gelf_getrela(d, (int)k, &r))
				return bad(o, "relocation");
			unsigned sym = (unsigned)GELF_R_SYM(r.r_info);

			if (sym >= o->nsyms ||
			    r.r_offset >= o->secs[sh.sh_info].size)
				return bad(o, "relocation index or offset");
			*GEN_PUSH(o->rels, o->nrels, cap) = (struct gen_rel){
				r.r_offset, r.r_addend, sh.sh_info,
				(unsigned)i, (unsigned)k, sym,
				(uint32_t)GELF_R_TYPE(r.r_info) };
		}
	}
	return 0;
}

/* `lea fn(%rip), %reg` of a static function in the same section carries
 * no relocation: the assembler resolved it.  Such an address may still
 * escape, so each one becomes a synthetic relocation (idx GEN_REL_NEW) that
 * the rewrite appends.  Pattern: REX.W 8D modrm(mod 00, rm 101) disp32,
 * whose target is the exact start of a function of the section, in bytes
 * no real relocation covers. */
static void resolved_leas(struct gen_obj *o)
{
	size_t cap = o->nrels;

	for (unsigned k = 1; k < o->nsecs; k++) {
		const struct gen_sec *s = &o->secs[k];
		unsigned rela = 0;

		if (!s->bytes || !(s->flags & SHF_EXECINSTR) || s->size < 7)
			continue;
		unsigned char *covered = gen_xcalloc(s->size / 8 + 1, 1);

		for (size_t i = 0; i < o->nrels; i++) {
			if (o->rels[i].sec != k)
				continue;
			rela = o->rels[i].relsec;
			for (uint64_t b = o->rels[i].offset;
			     b < o->rels[i].offset + 4 && b < s->size; b++)
				covered[b / 8] |= 1 << (b % 8);
		}
		for (uint64_t at = 0; at + 7 <= s->size; at++) {
			const unsigned char *p = s->bytes + at;

			if ((p[0] & 0xf8) != 0x48 || p[1] != 0x8d ||
			    (p[2] & 0xc7) != 0x05 ||
			    covered[(at + 3) / 8] & 1 << ((at + 3) % 8))
				continue;
			int32_t disp = (int32_t)((uint32_t)p[3] |
						 (uint32_t)p[4] << 8 |
						 (uint32_t)p[5] << 16 |
						 (uint32_t)p[6] << 24);
			int64_t target = (int64_t)at + 7 + disp;
			const struct gen_fn *f;

			if (target < 0 || (uint64_t)target >= s->size)
				continue;
			f = gen_fn_at(o, k, (uint64_t)target, 1);
			if (!f || o->syms[f->sym].type != STT_FUNC)
				continue;
			if (!rela) {
				gen_warning(o->where, "address of '%s' taken "
					    "at %s+0x%llx without a relocation "
					    "section to redirect it: not gated",
					    o->syms[f->sym].name, s->name,
					    (unsigned long long)at);
				continue;
			}
			*GEN_PUSH(o->rels, o->nrels, cap) = (struct gen_rel){
				at + 3, -4, k, rela, GEN_REL_NEW, f->sym,
				R_X86_64_PC32 };
		}
		free(covered);
	}
}

int gen_load_object(struct gen_obj *o)
{
	GElf_Ehdr eh;
	size_t strndx;

	if (elf_kind(o->elf) != ELF_K_ELF || !gelf_getehdr(o->elf, &eh)) {
		gen_error(o->where, "not an ELF file");
		return -1;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		gen_error(o->where, "object is not for x86-64 (ELF machine %u, "
			  "class %u); FlexOS images are x86-64",
			  eh.e_machine, eh.e_ident[EI_CLASS]);
		return -1;
	}
	if (eh.e_type != ET_REL) {
		gen_error(o->where, "not a relocatable object (ELF type %u)",
			  eh.e_type);
		return -1;
	}
	/* libelf reads what it can of a truncated image: check the extent
	 * of every part before trusting it. */
	if (!eh.e_shoff || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shoff > o->rawsize ||
	    (o->rawsize - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum) {
		gen_error(o->where, "truncated or corrupt object: section "
			  "headers lie beyond the end of the file (%zu bytes)",
			  o->rawsize);
		return -1;
	}
	for (size_t i = 1; i < (size_t)eh.e_shnum; i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(o->elf, i);

		if (!scn || !gelf_getshdr(scn, &sh))
			return bad(o, "section header");
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > o->rawsize ||
		     sh.sh_size > o->rawsize - sh.sh_offset)) {
			gen_error(o->where, "truncated or corrupt object: "
				  "section %zu lies beyond the end of the "
				  "file (%zu bytes)", i, o->rawsize);
			return -1;
		}
	}
	if (load_sections(o, &strndx) < 0 || load_symbols(o) < 0 ||
	    load_relocations(o) < 0)
		return -1;
	resolved_leas(o);
	return 0;
}

static int load_shared(struct gen_input *in)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(in->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			break;
		for (size_t i = 1; i < d->d_size / sizeof(Elf64_Sym); i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)i, &s) ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(in->elf, sh.sh_link, s.st_name);
			if (!name)
				continue;
			in->dynsyms = gen_xrealloc(in->dynsyms,
						   (in->ndynsyms + 1) *
							   sizeof(char *));
			in->dynsyms[in->ndynsyms++] = gen_xstrdup(name);
		}
	}
	return 0;
}

static struct gen_obj *new_obj(struct gen_input *in, struct gen_obj **objs,
			       size_t *nobjs, size_t *cap)
{
	struct gen_obj *o = GEN_PUSH(*objs, *nobjs, *cap);

	*o = (struct gen_obj){ .in = in, .comp = in->comp, .lib = in->lib };
	return o;
}

int gen_load_input(struct gen_input *in, struct gen_obj **objs, size_t *nobjs,
		   size_t *cap)
{
	int rc = 0;

	/* Already in memory: the fuzz target's input. */
	if (!in->data && gen_read_file(in->path, &in->data, &in->size) < 0)
		return -1;
	in->elf = elf_memory((char *)in->data, in->size);
	in->first = *nobjs;
	switch (in->elf ? elf_kind(in->elf) : ELF_K_NONE) {
	case ELF_K_AR:
		in->kind = GEN_IN_ARCHIVE;
		break;
	case ELF_K_ELF: {
		GElf_Ehdr eh;

		if (gelf_getehdr(in->elf, &eh) && eh.e_type == ET_DYN) {
			if (in->comp != GEN_TCB) {
				gen_error(in->path, "a shared object cannot be "
					  "compartmentalized; link the static "
					  "archive instead");
				return -1;
			}
			in->kind = GEN_IN_SHARED;
			return load_shared(in);
		}
		in->kind = GEN_IN_OBJECT;
		struct gen_obj *o = new_obj(in, objs, nobjs, cap);

		o->where = gen_xstrdup(in->path);
		o->elf = in->elf;
		o->raw = in->data;
		o->rawsize = in->size;
		in->nobjs = 1;
		return gen_load_object(o);
	}
	default:
		gen_error(in->path, "not an ELF object or archive");
		return -1;
	}

	Elf_Cmd cmd = ELF_C_READ_MMAP; /* what elf_memory made */

	for (;;) {
		int err;
		Elf *m;

		elf_errno(); /* clear a stale error */
		m = elf_begin(-1, cmd, in->elf);
		if (!m) {
			err = elf_errno();
			if (err) {
				gen_error(in->path, "corrupt archive: %s",
					  elf_errmsg(err));
				rc = -1;
			}
			break;
		}
		Elf_Arhdr *ah = elf_getarhdr(m);

		if (!ah || !ah->ar_name) {
			gen_error(in->path, "corrupt archive member header");
			elf_end(m);
			rc = -1;
			break;
		}
		if (ah->ar_name[0] == '/') { /* symbol or name table */
			cmd = elf_next(m);
			elf_end(m);
			if (cmd == ELF_C_NULL)
				break;
			continue;
		}
		struct gen_obj *o = new_obj(in, objs, nobjs, cap);

		o->member = gen_xstrdup(ah->ar_name);
		o->where = gen_xasprintf("%s(%s)", in->path, ah->ar_name);
		o->elf = m;
		o->raw = (unsigned char *)elf_rawfile(m, &o->rawsize);
		in->nobjs++;
		if (!o->raw || gen_load_object(o) < 0) {
			if (!o->raw)
				gen_error(o->where, "corrupt archive member");
			rc = -1;
		}
		/* Only now: moving on invalidates the member's header. */
		cmd = elf_next(m);
		if (cmd == ELF_C_NULL)
			break;
	}
	return rc;
}
