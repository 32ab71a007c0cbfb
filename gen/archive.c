/* Writing a static archive (GNU ar format, with the symbol index the
 * linker needs to pull members), deterministic: zero dates and ids. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Global symbols defined by an object, from its (rewritten) bytes: the
 * index must list the aliases and stubs' targets added by the rewrite. */
static void defined(const unsigned char *data, size_t size, struct gen_buf *names,
		    size_t *count)
{
	Elf *e = elf_memory((char *)data, size);
	Elf_Scn *scn = NULL;

	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 1; i < d->d_size / sizeof(Elf64_Sym); i++) {
			GElf_Sym s;
			const char *n;
			int bind;

			if (!gelf_getsym(d, (int)i, &s))
				continue;
			bind = GELF_ST_BIND(s.st_info);
			if (s.st_shndx == SHN_UNDEF ||
			    (bind != STB_GLOBAL && bind != STB_WEAK))
				continue;
			n = elf_strptr(e, sh.sh_link, s.st_name);
			if (!n || !*n)
				continue;
			gen_buf_add(names, n, strlen(n) + 1);
			++*count;
		}
	}
	if (e)
		elf_end(e);
}

static void header(struct gen_buf *b, const char *name, size_t size)
{
	char h[61], sizestr[24];

	snprintf(sizestr, sizeof(sizestr), "%zu", size);

	snprintf(h, sizeof(h), "%-16.16s%-12d%-6d%-6d%-8o%-10.10s`\n", name, 0, 0,
		 0, 0644, sizestr);
	gen_buf_add(b, h, 60);
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int gen_write_archive(const char *path, struct gen_obj *objs, size_t n,
		      unsigned char **datas, size_t *sizes)
{
	struct gen_buf names = { 0 }, longnames = { 0 }, out = { 0 };
	size_t *nsyms = gen_xcalloc(n, sizeof(*nsyms)), total = 0;
	char **hdrnames = gen_xcalloc(n, sizeof(*hdrnames));
	int rc;

	for (size_t i = 0; i < n; i++) {
		const char *m = objs[i].member;

		defined(datas[i], sizes[i], &names, &nsyms[i]);
		total += nsyms[i];
		if (strlen(m) < 16) {
			hdrnames[i] = gen_xasprintf("%s/", m);
		} else {
			hdrnames[i] = gen_xasprintf("/%zu", longnames.len);
			gen_buf_printf(&longnames, "%s/\n", m);
		}
	}
	/* Layout: magic, index, long names, members. */
	size_t index_size = 4 + 4 * total + names.len;
	size_t at = 8 + 60 + index_size + (index_size & 1);

	if (longnames.len)
		at += 60 + longnames.len + (longnames.len & 1);
	unsigned char *index = gen_xcalloc(1, index_size + 1);
	size_t k = 0;

	be32(index, (uint32_t)total);
	for (size_t i = 0; i < n; i++) {
		for (size_t s = 0; s < nsyms[i]; s++, k++)
			be32(index + 4 + 4 * k, (uint32_t)at);
		at += 60 + sizes[i] + (sizes[i] & 1);
	}
	if (names.len)
		memcpy(index + 4 + 4 * total, names.s, names.len);
	gen_buf_add(&out, "!<arch>\n", 8);
	header(&out, "/", index_size);
	gen_buf_add(&out, index, index_size);
	if (index_size & 1)
		gen_buf_add(&out, "\n", 1);
	if (longnames.len) {
		header(&out, "//", longnames.len);
		gen_buf_add(&out, longnames.s, longnames.len);
		if (longnames.len & 1)
			gen_buf_add(&out, "\n", 1);
	}
	for (size_t i = 0; i < n; i++) {
		header(&out, hdrnames[i], sizes[i]);
		gen_buf_add(&out, datas[i], sizes[i]);
		if (sizes[i] & 1)
			gen_buf_add(&out, "\n", 1);
		free(hdrnames[i]);
	}
	rc = gen_write_atomic(path, out.s, out.len);
	free(out.s);
	free(index);
	free(names.s);
	free(longnames.s);
	free(nsyms);
	free(hdrnames);
	return rc;
}
