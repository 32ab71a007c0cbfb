/* Names for addresses of the running image, and addresses for source
 * lines, through libdw.  One session per process, opened on first use:
 * fault reports, learning reports and sharing policies all need it. */
#define _GNU_SOURCE
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static Dwfl *session;
static pid_t session_pid;

static Dwfl *symbols(void)
{
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};

	/* After fork (proc) the mappings are the same, but libdw keeps the
	 * pid it reported: start afresh. */
	if (session && session_pid == getpid())
		return session;
	session = dwfl_begin(&callbacks);
	session_pid = getpid();
	if (session && (dwfl_linux_proc_report(session, getpid()) != 0 ||
			dwfl_report_end(session, NULL, NULL) != 0)) {
		dwfl_end(session);
		session = NULL;
	}
	return session;
}

/* The sized function or object symbol containing `address`: the linker's
 * own marker symbols (section starts and ends) describe nothing. */
static const char *containing_symbol(Dwfl_Module *module, uintptr_t address,
				     unsigned long *offset)
{
	int count = dwfl_module_getsymtab(module);

	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr start;
		const char *name = dwfl_module_getsym_info(module, i, &sym,
							   &start, NULL, NULL,
							   NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (name && (type == STT_OBJECT || type == STT_FUNC) &&
		    address >= start && address - start < sym.st_size) {
			*offset = address - start;
			return name;
		}
	}
	return NULL;
}

/* The module of `address`.  libdw knows a module by the mappings of its
 * file, which end where the file does: zero-filled static data (.bss,
 * mapped anonymously past the file) is in none.  Such memory is the
 * executable's, so it is looked up there; any other address lies in none
 * of the executable's symbols and stays unnamed. */
static Dwfl_Module *module_of(Dwfl *dwfl, uintptr_t address)
{
	Dwfl_Module *module = dwfl_addrmodule(dwfl, address);

	if (!module) /* flexos_image is linked into the executable */
		module = dwfl_addrmodule(dwfl, (uintptr_t)&flexos_image);
	return module;
}

void flexos__where(uintptr_t lookup, struct flexos__where *where)
{
	Dwfl *dwfl = symbols();
	Dwfl_Module *module = dwfl ? module_of(dwfl, lookup) : NULL;
	Dwfl_Line *line = module ? dwfl_module_getsrc(module, lookup) : NULL;

	memset(where, 0, sizeof(*where));
	if (module)
		where->symbol = containing_symbol(module, lookup,
						  &where->offset);
	if (line)
		where->file = dwfl_lineinfo(line, NULL, &where->line, NULL,
					    NULL, NULL);
}

void flexos__describe(uintptr_t address, uintptr_t lookup, char *out,
		      size_t size)
{
	struct flexos__where where;
	int n = 0;

	flexos__where(lookup, &where);
	out[0] = '\0';
	if (where.symbol)
		n = snprintf(out, size, "%s+0x%lx", where.symbol,
			     where.offset + (unsigned long)(address - lookup));
	if (where.file && n >= 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, "%s(%s:%d)", n ? " " : "",
			 where.file, where.line);
}

bool flexos__in_executable(uintptr_t address)
{
	Dwfl *dwfl = symbols();

	return dwfl && dwfl_addrmodule(dwfl, address) &&
	       dwfl_addrmodule(dwfl, address) ==
		       dwfl_addrmodule(dwfl, (uintptr_t)&flexos_image);
}

bool flexos__describe_address(uintptr_t address, char *out, size_t size)
{
	flexos__describe(address, address, out, size);
	if (out[0])
		return true;
	snprintf(out, size, "??");
	return false;
}

struct function_query {
	const char *name;
	uintptr_t start, end;
	bool found;
};

static int search_symbols(Dwfl_Module *module, void **userdata,
			  const char *name, Dwarf_Addr base, void *arg)
{
	struct function_query *query = arg;
	int count = dwfl_module_getsymtab(module);

	(void)userdata;
	(void)name;
	(void)base;
	for (int i = 1; i < count && !query->found; i++) {
		GElf_Sym sym;
		GElf_Addr start;
		const char *symbol = dwfl_module_getsym_info(
			module, i, &sym, &start, NULL, NULL, NULL);
		if (symbol && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
		    sym.st_size && !strcmp(symbol, query->name)) {
			query->start = start;
			query->end = start + sym.st_size;
			query->found = true;
		}
	}
	return query->found ? DWARF_CB_ABORT : DWARF_CB_OK;
}

bool flexos__function_code(const char *name, uintptr_t *start, uintptr_t *end)
{
	struct function_query query = { name, 0, 0, false };
	Dwfl *dwfl = symbols();

	if (dwfl)
		dwfl_getmodules(dwfl, search_symbols, &query, 0);
	*start = query.start;
	*end = query.end;
	return query.found;
}

/* `path` names `file` when equal or when `file` is a trailing part of it
 * that starts a path component ("src/main.c" names "/a/src/main.c"). */
static bool names(const char *path, const char *file)
{
	size_t n = strlen(path), m = strlen(file);

	return n >= m && !strcmp(path + n - m, file) &&
	       (n == m || path[n - m - 1] == '/');
}

struct line_query {
	const char *file;
	int line;
	void (*found)(uintptr_t start, uintptr_t end, void *context);
	void *context;
	int ranges;
};

/* Every compilation unit's line table of `module`, for the rows of
 * file:line (dwfl_module_getsrc_file wants the exact path as compiled). */
static int search_module(Dwfl_Module *module, void **userdata,
			 const char *name, Dwarf_Addr base, void *arg)
{
	struct line_query *query = arg;
	Dwarf_Addr bias;
	Dwarf *dwarf = dwfl_module_getdwarf(module, &bias);
	Dwarf_Off offset = 0, next;
	size_t header;

	(void)userdata;
	(void)name;
	(void)base;
	while (dwarf && dwarf_nextcu(dwarf, offset, &next, &header, NULL, NULL,
				     NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Lines *table;
		size_t rows;

		if (dwarf_offdie(dwarf, offset + header, &cu) &&
		    dwarf_getsrclines(&cu, &table, &rows) == 0) {
			for (size_t i = 0; i + 1 < rows; i++) {
				Dwarf_Line *row = dwarf_onesrcline(table, i);
				Dwarf_Line *after = dwarf_onesrcline(table, i + 1);
				const char *src = dwarf_linesrc(row, NULL, NULL);
				Dwarf_Addr start, end;
				int line;

				if (!src || dwarf_lineno(row, &line) != 0 ||
				    line != query->line ||
				    !names(src, query->file) ||
				    dwarf_lineaddr(row, &start) != 0 ||
				    dwarf_lineaddr(after, &end) != 0 ||
				    end <= start)
					continue;
				query->found(start + bias, end + bias,
					     query->context);
				query->ranges++;
			}
		}
		offset = next;
	}
	return DWARF_CB_OK;
}

int flexos__line_code(const char *file, int line,
		      void (*found)(uintptr_t start, uintptr_t end, void *),
		      void *context)
{
	struct line_query query = { file, line, found, context, 0 };
	Dwfl *dwfl = symbols();
	/* A policy's lines name the image's own code, which is all in the
	 * executable: the shared libraries' debug information (looked for
	 * on disk, a quarter of a second and more) is not read. */
	Dwfl_Module *image =
		dwfl ? dwfl_addrmodule(dwfl, (uintptr_t)&flexos_image) : NULL;

	if (image)
		search_module(image, NULL, NULL, 0, &query);
	return query.ranges;
}
