/* Names for addresses of the running image, and addresses for source
 * lines, through libdw.  One session per process, opened on first use:
 * fault reports, learning reports and sharing policies all need it. */
#define _GNU_SOURCE
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
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

/* The source line of `lookup` found by asking each compilation unit of
 * `module` whether it holds the address.  libdw finds a unit through
 * .debug_aranges alone when the section exists, and clang writes no
 * aranges (gcc and the assembler do): in an image with both, libdw sees
 * only the gcc-built and assembly units.  Slower, so only when that
 * failed. */
static const char *line_by_units(Dwfl_Module *module, uintptr_t lookup,
				 int *line)
{
	Dwarf_Addr bias;
	Dwarf *dwarf = dwfl_module_getdwarf(module, &bias);
	Dwarf_Off offset = 0, next;
	size_t header;

	while (dwarf && dwarf_nextcu(dwarf, offset, &next, &header, NULL, NULL,
				     NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(dwarf, offset + header, &cu) &&
		    dwarf_haspc(&cu, lookup - bias) > 0) {
			Dwarf_Line *row = dwarf_getsrc_die(&cu, lookup - bias);
			const char *src =
				row ? dwarf_linesrc(row, NULL, NULL) : NULL;

			if (src && dwarf_lineno(row, line) == 0)
				return src;
			return NULL;
		}
		offset = next;
	}
	return NULL;
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
	else if (module)
		where->file = line_by_units(module, lookup, &where->line);
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

/* Finding the code of functions by name, for a sharing policy's
 * share-heap and allocator lines (and learning's guess at the allocator
 * wrappers, by a test of each name): all of them in one pass over the
 * executable's symbol table, each symbol's name looked up among the
 * policy's (sorted); a name also finds the copies a compiler made of the
 * function (name.constprop.0, name.cold), which learning names by it.  The
 * image's code is all in the executable (calls from shared libraries are
 * the TCB's and never served from a compartment heap, malloc.c), so the
 * shared libraries are not searched, and libdw's view of the whole process
 * (tens of milliseconds to set up) is not needed: libelf reads the
 * executable's .symtab directly. */
struct function_query {
	const char *const *names; /* sorted, each once */
	size_t count;
	bool (*like)(const char *name); /* instead of names */
	void (*found)(size_t i, uintptr_t start, uintptr_t end, void *context);
	void *context;
};

/* A function's name without the suffix a compiler gives its copies
 * (scenario_xmalloc.constprop.0, main.cold): `length` bytes of it. */
static size_t base_length(const char *symbol)
{
	return strcspn(symbol, ".");
}

/* strcmp() of the name `length` bytes at `symbol` against `name`. */
static int compare_base(const char *symbol, size_t length, const char *name)
{
	int order = strncmp(symbol, name, length);

	return order ? order : name[length] ? -1 : 0;
}

static void match_symbol(const struct function_query *query,
			 const char *symbol, const GElf_Sym *sym,
			 uintptr_t start)
{
	size_t low = 0, high = query->count, length;

	if (!symbol || GELF_ST_TYPE(sym->st_info) != STT_FUNC ||
	    sym->st_shndx == SHN_UNDEF || !sym->st_size)
		return;
	if (query->like) {
		if (query->like(symbol))
			query->found(0, start, start + sym->st_size,
				     query->context);
		return;
	}
	length = base_length(symbol);
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = compare_base(symbol, length, query->names[middle]);

		if (!order) {
			query->found(middle, start, start + sym->st_size,
				     query->context);
			return;
		}
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
}

/* The symbol table of /proc/self/exe (the running executable's file,
 * even if replaced on disk since), read with libelf; false if it has none
 * (a stripped executable) or no flexos_image in it.  Addresses are moved
 * by the distance between flexos_image's address in the file and in
 * memory: the load bias of a position-independent executable, 0
 * otherwise. */
static bool search_executable(const struct function_query *query)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	Elf *elf = NULL;
	Elf_Scn *section = NULL;
	GElf_Shdr header;
	Elf_Data *data;
	size_t count = 0;
	uintptr_t bias = 0;
	bool anchored = false;

	if (fd < 0)
		return false;
	if (elf_version(EV_CURRENT) != EV_NONE)
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (elf && (section = elf_nextscn(elf, section)))
		if (gelf_getshdr(section, &header) &&
		    header.sh_type == SHT_SYMTAB && header.sh_entsize)
			break;
	data = section ? elf_getdata(section, NULL) : NULL;
	if (data)
		count = header.sh_size / header.sh_entsize;
	for (size_t i = 1; i < count && !anchored; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, header.sh_link, sym.st_name);
		if (name && !strcmp(name, "flexos_image")) {
			bias = (uintptr_t)&flexos_image - sym.st_value;
			anchored = true;
		}
	}
	for (size_t i = 1; anchored && i < count; i++) {
		GElf_Sym sym;

		if (gelf_getsym(data, (int)i, &sym))
			match_symbol(query,
				     elf_strptr(elf, header.sh_link,
						sym.st_name),
				     &sym, sym.st_value + bias);
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return anchored;
}

/* Without a symbol table in the executable, libdw's view of its module,
 * which also finds separate debug information. */
static void search_module_symbols(const struct function_query *query)
{
	Dwfl *dwfl = symbols();
	Dwfl_Module *image =
		dwfl ? dwfl_addrmodule(dwfl, (uintptr_t)&flexos_image) : NULL;
	int count = image ? dwfl_module_getsymtab(image) : 0;

	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr start;
		const char *symbol = dwfl_module_getsym_info(
			image, i, &sym, &start, NULL, NULL, NULL);
		match_symbol(query, symbol, &sym, start);
	}
}

static void search(const struct function_query *query)
{
	if (!search_executable(query))
		search_module_symbols(query);
}

void flexos__functions_code(const char *const *names, size_t count,
			    void (*found)(size_t i, uintptr_t start,
					  uintptr_t end, void *context),
			    void *context)
{
	search(&(struct function_query){ names, count, NULL, found, context });
}

void flexos__functions_like(bool (*like)(const char *name),
			    void (*found)(size_t i, uintptr_t start,
					  uintptr_t end, void *context),
			    void *context)
{
	search(&(struct function_query){ NULL, 0, like, found, context });
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
