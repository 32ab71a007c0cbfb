/* Rewriting a copy of one relocatable object with libelf: rename undefined
 * symbols, retarget relocations to new symbols, add global aliases of
 * static functions, rename sections.  Only appends to the string and symbol
 * tables, so every existing index stays valid.  The original file (or
 * archive) is never touched: the copy lives in an anonymous memory file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"

struct table {
	Elf_Data *data;
	size_t base;	 /* size before appending */
	struct gen_buf add;
};

static size_t add_string(struct table *t, const char *s)
{
	size_t at = t->base + t->add.len;

	gen_buf_add(&t->add, s, strlen(s) + 1);
	return at;
}

static void commit(struct table *t)
{
	if (!t->add.len)
		return;
	char *buf = gen_xmalloc(t->base + t->add.len);

	memcpy(buf, t->data->d_buf, t->base);
	memcpy(buf + t->base, t->add.s, t->add.len);
	t->data->d_buf = buf; /* kept until elf_end; then leaked, small */
	t->data->d_size = t->base + t->add.len;
	elf_flagdata(t->data, ELF_C_SET, ELF_F_DIRTY);
}

struct ctx {
	const struct gen_obj *o;
	Elf *elf;
	struct table str, shstr, sym, xsym;
	struct table *rela; /* per section: appended relocations */
	int shared_str; /* .strtab is also .shstrtab */
	size_t nsyms;
	unsigned strsec, shstrsec;
};

/* The index of a global symbol named `name`, added as undefined if the
 * object has none. */
static unsigned global_sym(struct ctx *c, const char *name)
{
	for (unsigned k = 1; k < c->o->nsyms; k++)
		if (c->o->syms[k].bind != STB_LOCAL &&
		    !strcmp(c->o->syms[k].name, name))
			return k;
	/* Among the ones added so far. */
	const Elf64_Sym *added = (const Elf64_Sym *)c->sym.add.s;

	for (size_t k = 0; k < c->sym.add.len / sizeof(Elf64_Sym); k++) {
		const char *n = c->str.add.s + (added[k].st_name - c->str.base);

		if (added[k].st_name >= c->str.base && !strcmp(n, name))
			return (unsigned)(c->o->nsyms + k);
	}
	Elf64_Sym s = { .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE) };

	s.st_name = (Elf64_Word)add_string(&c->str, name);
	gen_buf_add(&c->sym.add, &s, sizeof(s));
	if (c->xsym.data) {
		Elf32_Word zero = 0;

		gen_buf_add(&c->xsym.add, &zero, sizeof(zero));
	}
	return (unsigned)(c->o->nsyms + c->sym.add.len / sizeof(s) - 1);
}

static int fail(const struct gen_obj *o, const char *what)
{
	gen_error(o->where, "cannot rewrite: %s: %s", what, elf_errmsg(-1));
	return -1;
}

static int apply(struct ctx *c)
{
	const struct gen_obj *o = c->o;
	Elf_Data *symdata = c->sym.data;

	for (size_t i = 0; i < o->nedits; i++) {
		const struct gen_edit *e = &o->edits[i];

		switch (e->kind) {
		case GEN_EDIT_RENAME_SYM: {
			GElf_Sym s;

			if (!gelf_getsym(symdata, (int)e->index, &s))
				return fail(o, "symbol");
			s.st_name = (Elf64_Word)add_string(&c->str, e->name);
			if (!gelf_update_sym(symdata, (int)e->index, &s))
				return fail(o, "symbol");
			break;
		}
		case GEN_EDIT_ALIAS: {
			const struct gen_sym *t = &o->syms[e->index];
			Elf64_Sym s = {
				.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				.st_other = STV_HIDDEN,
				.st_value = t->value,
				.st_size = t->size,
			};
			Elf32_Word x = 0;

			s.st_name = (Elf64_Word)add_string(&c->str, e->name);
			if (t->shndx >= SHN_LORESERVE) {
				s.st_shndx = SHN_XINDEX;
				x = t->shndx;
			} else {
				s.st_shndx = (Elf64_Section)t->shndx;
			}
			gen_buf_add(&c->sym.add, &s, sizeof(s));
			if (c->xsym.data)
				gen_buf_add(&c->xsym.add, &x, sizeof(x));
			break;
		}
		case GEN_EDIT_RETARGET: {
			const struct gen_rel *r = &o->rels[e->index];
			Elf_Data *d = elf_getdata(elf_getscn(c->elf, r->relsec),
						  NULL);
			GElf_Rela rela;
			unsigned sym = global_sym(c, e->name);

			if (d && r->idx == GEN_REL_NEW) {
				Elf64_Rela add = {
					r->offset,
					ELF64_R_INFO(sym, r->type),
					r->addend + e->addend_delta };
				struct table *t = &c->rela[r->relsec];

				if (!t->data) {
					t->data = d;
					t->base = d->d_size;
				}
				gen_buf_add(&t->add, &add, sizeof(add));
				break;
			}
			if (!d || !gelf_getrela(d, (int)r->idx, &rela))
				return fail(o, "relocation");
			rela.r_info = GELF_R_INFO(sym, r->type);
			rela.r_addend = r->addend + e->addend_delta;
			if (!gelf_update_rela(d, (int)r->idx, &rela))
				return fail(o, "relocation");
			break;
		}
		case GEN_EDIT_RENAME_SEC:
			break;
		}
	}
	for (size_t k = 0; o->sec_rename && k < o->nsecs; k++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(c->elf, k);

		if (!o->sec_rename[k])
			continue;
		if (!scn || !gelf_getshdr(scn, &sh))
			return fail(o, "section");
		sh.sh_name = (Elf64_Word)add_string(
			c->shared_str ? &c->str : &c->shstr, o->sec_rename[k]);
		/* .bss joins initialised shared data: zeros, so that the
		 * output section keeps one type. */
		if (sh.sh_type == SHT_NOBITS) {
			Elf_Data *d = elf_getdata(scn, NULL);

			if (!d)
				d = elf_newdata(scn);
			if (!d)
				return fail(o, "section data");
			sh.sh_type = SHT_PROGBITS;
			d->d_buf = gen_xcalloc(1, sh.sh_size);
			d->d_size = sh.sh_size;
			d->d_type = ELF_T_BYTE;
			elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
		}
		if (!gelf_update_shdr(scn, &sh))
			return fail(o, "section");
	}
	return 0;
}

static int open_tables(struct ctx *c)
{
	GElf_Shdr sh;
	size_t shstrndx;
	Elf_Scn *symscn = elf_getscn(c->elf, c->o->symtab);

	if (!symscn || !gelf_getshdr(symscn, &sh) ||
	    elf_getshdrstrndx(c->elf, &shstrndx))
		return fail(c->o, "tables");
	c->strsec = sh.sh_link;
	c->shstrsec = (unsigned)shstrndx;
	c->shared_str = c->strsec == c->shstrsec;
	c->sym.data = elf_getdata(symscn, NULL);
	c->str.data = elf_getdata(elf_getscn(c->elf, c->strsec), NULL);
	c->shstr.data = elf_getdata(elf_getscn(c->elf, c->shstrsec), NULL);
	if (!c->sym.data || !c->str.data || !c->shstr.data)
		return fail(c->o, "tables");
	c->sym.base = c->sym.data->d_size;
	c->str.base = c->str.data->d_size;
	c->shstr.base = c->shstr.data->d_size;
	for (size_t k = 1; k < c->o->nsecs; k++)
		if (c->o->secs[k].type == SHT_SYMTAB_SHNDX) {
			c->xsym.data = elf_getdata(elf_getscn(c->elf, k), NULL);
			if (c->xsym.data)
				c->xsym.base = c->xsym.data->d_size;
		}
	return 0;
}

int gen_rewrite_object(const struct gen_obj *o, unsigned char **out,
		       size_t *outsize)
{
	int fd = memfd_create("flexos-gen", MFD_CLOEXEC);
	struct ctx c = { .o = o };
	int rc = -1;

	c.rela = gen_xcalloc(o->nsecs, sizeof(*c.rela));
	struct stat sb;

	if (fd < 0 || write(fd, o->raw, o->rawsize) != (ssize_t)o->rawsize) {
		gen_error(o->where, "cannot copy: %s", strerror(errno));
		goto out;
	}
	c.elf = elf_begin(fd, ELF_C_RDWR, NULL);
	if (!c.elf) {
		fail(o, "open");
		goto out;
	}
	if (open_tables(&c) < 0 || apply(&c) < 0)
		goto out;
	commit(&c.str);
	if (!c.shared_str)
		commit(&c.shstr);
	commit(&c.sym);
	if (c.xsym.data)
		commit(&c.xsym);
	for (size_t k = 0; k < o->nsecs; k++)
		if (c.rela[k].data)
			commit(&c.rela[k]);
	if (elf_update(c.elf, ELF_C_WRITE) < 0) {
		fail(o, "write");
		goto out;
	}
	elf_end(c.elf);
	c.elf = NULL;
	if (fstat(fd, &sb) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	*outsize = (size_t)sb.st_size;
	*out = gen_xmalloc(*outsize + 1);
	if (read(fd, *out, *outsize) != (ssize_t)*outsize) {
		gen_error(o->where, "cannot read back the rewritten copy");
		free(*out);
		goto out;
	}
	rc = 0;
out:
	if (c.elf)
		elf_end(c.elf);
	if (fd >= 0)
		close(fd);
	free(c.rela);
	return rc;
}
