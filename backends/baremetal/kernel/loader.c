/* The program: a static, non-PIE ELF64 executable (musl), handed over as
 * the first multiboot module and checked before anything of it is trusted.
 * Its segments get key 0 (the runtime gives compartments their keys when
 * it starts); its symbol table, when not stripped, names addresses in
 * fault reports and the runtime's code that may write PKRU.  Its code is
 * the only executable memory there ever is (policy.c): no page of it may
 * be writable, and no instruction in it may write PKRU but the runtime's,
 * whichever byte a jump lands on. */
#include "elf.h"
#include "kernel.h"
#include "pkru_write.h"

#define STACK_TOP 0x7ff0000000ul
#define STACK_SIZE (8ul << 20)
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25

struct program the_program;
static const struct elf_sym *symbols;
static uint64_t nsymbols;
static const char *names;
static uint64_t names_size;
char loader_pkru_writer[64];

/* The runtime's functions that write PKRU: the gate's two variants, its
 * stop, the walk of a longjmp out of calls, the first switch and the two
 * of a thread's start (arch/x86_64/pkru_gate.S).  Global symbols only: a second function of
 * that name would not link. */
static const char *const pkru_writers[] = {
	"flexos__pkru_gate",
	"flexos__pkru_gate_stack_args",
	"flexos__pkru_gate_stop",
	"flexos__pkru_unwind",
	"flexos__pkru_first",
	"flexos__pkru_call_closed",
	"flexos__pkru_thread_enter",
	loader_pkru_writer,
};
#define WRITERS (sizeof(pkru_writers) / sizeof(pkru_writers[0]))

static bool inside(const struct program *p, uint64_t offset, uint64_t len)
{
	return offset <= p->size && len <= p->size - offset;
}

static void corrupt(const struct program *p, const char *why)
{
	panic_setup("program '%s' (%lu bytes) is not a usable image: %s",
		    p->name, p->size, why);
}

static void find_symbols(const struct program *p)
{
	const struct elf_header *h = (const void *)p->elf;

	if (!h->shoff || h->shentsize != sizeof(struct elf_shdr) ||
	    !inside(p, h->shoff, (uint64_t)h->shnum * sizeof(struct elf_shdr)))
		return;
	const struct elf_shdr *sh = (const void *)(p->elf + h->shoff);
	for (unsigned i = 0; i < h->shnum; i++) {
		if (sh[i].type != SHT_SYMTAB || sh[i].link >= h->shnum)
			continue;
		const struct elf_shdr *str = &sh[sh[i].link];
		if (!inside(p, sh[i].offset, sh[i].size) ||
		    !inside(p, str->offset, str->size))
			return;
		symbols = (const void *)(p->elf + sh[i].offset);
		nsymbols = sh[i].size / sizeof(struct elf_sym);
		names = (const char *)(p->elf + str->offset);
		names_size = str->size;
		return;
	}
}

bool loader_symbol(uint64_t address, const char **name, uint64_t *offset)
{
	for (uint64_t i = 0; i < nsymbols; i++) {
		const struct elf_sym *s = &symbols[i];
		unsigned type = s->info & 0xf;
		if ((type != STT_OBJECT && type != STT_FUNC) || !s->shndx ||
		    address < s->value || address - s->value >= s->size ||
		    s->name >= names_size)
			continue;
		*name = names + s->name;
		*offset = address - s->value;
		return true;
	}
	return false;
}

/* Whether the instruction at va is the runtime's to write PKRU with. */
static bool pkru_writer(uint64_t va)
{
	for (uint64_t i = 0; i < nsymbols; i++) {
		const struct elf_sym *s = &symbols[i];
		if ((s->info & 0xf) != STT_FUNC || s->info >> 4 != STB_GLOBAL ||
		    !s->shndx || va < s->value || va - s->value >= s->size ||
		    s->name >= names_size)
			continue;
		for (size_t w = 0; w < WRITERS; w++)
			if (pkru_writers[w][0] &&
			    !strcmp(names + s->name, pkru_writers[w]))
				return true;
	}
	return false;
}

/* Refuses code that is writable, or that writes PKRU outside the
 * runtime's functions for it, at any byte: a jump may land inside an
 * instruction. */
static void check_code(const struct program *p, const struct elf_phdr *ph)
{
	const uint8_t *code = p->elf + ph->offset;
	char where[128];
	int prot, key;

	for (uint64_t va = PAGE_DOWN(ph->vaddr); va < ph->vaddr + ph->memsz;
	     va += PAGE_SIZE)
		if (vm_page(va, &prot, &key) && (prot & PROT_W))
			panic_setup("program '%s': the page at 0x%lx is both "
				    "writable and executable", p->name, va);
	for (uint64_t i = 0; i < ph->filesz; i++) {
		const char *insn = flexos_arch__pkru_write(code + i,
							   ph->filesz - i);
		uint64_t va = ph->vaddr + i;
		if (insn && !pkru_writer(va))
			panic_setup("program '%s': %s at 0x%lx (%s), outside "
				    "the runtime's gate: a compartment could "
				    "open every key with it", p->name, insn,
				    va, symbol_of(va, where, sizeof(where)));
	}
}

/* `symbol` names function `name`, or a copy a compiler made of it
 * (name.constprop.0, name.cold). */
static bool names_function(const char *symbol, const char *name)
{
	while (*name && *symbol == *name) {
		symbol++;
		name++;
	}
	return !*name && (!*symbol || *symbol == '.');
}

bool loader_function(const char *name, uint64_t nth, uint64_t *start,
		     uint64_t *end)
{
	for (uint64_t i = 0; i < nsymbols; i++) {
		const struct elf_sym *s = &symbols[i];
		/* The nth sized function of that name: the others are
		 * skipped, counting nth down. */
		if ((s->info & 0xf) != STT_FUNC || !s->shndx || !s->size ||
		    s->name >= names_size ||
		    !names_function(names + s->name, name) ||
		    nth--)
			continue;
		*start = s->value;
		*end = s->value + s->size;
		return true;
	}
	return false;
}

void loader_load(struct program *p)
{
	const struct elf_header *h = (const void *)p->elf;
	uint64_t pages = STACK_SIZE / PAGE_SIZE / 64, start = USER_END, end = 0;

	if (p->size < sizeof(*h) || memcmp(h->ident, "\177ELF", 4))
		corrupt(p, "not an ELF file");
	if (h->ident[4] != 2 || h->ident[5] != 1 || h->machine != EM_X86_64)
		corrupt(p, "not an x86-64 ELF64 little-endian file");
	if (h->type != ET_EXEC)
		corrupt(p, "not a static non-PIE executable (link it with "
			   "flexos_image(... BACKEND baremetal))");
	if (h->phentsize != sizeof(struct elf_phdr) || !h->phnum ||
	    !inside(p, h->phoff, (uint64_t)h->phnum * sizeof(struct elf_phdr)))
		corrupt(p, "program headers out of the file");
	const struct elf_phdr *ph = (const void *)(p->elf + h->phoff);
	for (unsigned i = 0; i < h->phnum; i++) {
		if (ph[i].type == PT_INTERP)
			corrupt(p, "dynamically linked (needs an interpreter)");
		if (ph[i].type != PT_LOAD)
			continue;
		if (!inside(p, ph[i].offset, ph[i].filesz) ||
		    ph[i].filesz > ph[i].memsz)
			corrupt(p, "a segment lies outside the file");
		if (ph[i].vaddr < USER_START || ph[i].memsz > USER_END ||
		    ph[i].vaddr > USER_END - ph[i].memsz)
			corrupt(p, "a segment lies outside [1 GiB, 512 GiB) (link "
				   "it with flexos_image(... BACKEND baremetal))");
		pages += (PAGE_UP(ph[i].vaddr + ph[i].memsz) -
			  PAGE_DOWN(ph[i].vaddr)) / PAGE_SIZE;
	}
	/* Page tables and the kernel's own needs: a generous 1/16 more. */
	pages += pages / 16 + 64;
	if (pages > frames_free())
		panic_setup("program '%s' needs %lu MiB to load but only %lu MiB "
			    "of the machine's %lu MiB are free; give it more "
			    "memory (FLEXOS_QEMU_MEMORY, QEMU's -m)",
			    p->name, pages * PAGE_SIZE >> 20,
			    frames_free() * PAGE_SIZE >> 20, memory_total() >> 20);

	for (unsigned i = 0; i < h->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		int prot = (ph[i].flags & PF_R ? PROT_R : 0) |
			   (ph[i].flags & PF_W ? PROT_W : 0) |
			   (ph[i].flags & PF_X ? PROT_X : 0);
		if (vm_map(ph[i].vaddr, ph[i].memsz, prot, 0, true) < 0)
			panic_setup("out of memory loading program '%s'", p->name);
		vm_write(ph[i].vaddr, p->elf + ph[i].offset, ph[i].filesz);
		if (ph[i].vaddr < start)
			start = ph[i].vaddr;
		if (ph[i].vaddr + ph[i].memsz > end)
			end = ph[i].vaddr + ph[i].memsz;
		if (ph[i].offset == 0)
			p->phdr = ph[i].vaddr + h->phoff;
	}
	find_symbols(p);
	for (unsigned i = 0; i < h->phnum; i++)
		if (ph[i].type == PT_LOAD && (ph[i].flags & PF_X))
			check_code(p, &ph[i]);
	p->entry = h->entry;
	p->phnum = h->phnum;
	p->start = PAGE_DOWN(start);
	p->brk = PAGE_UP(end);
}

/* Room on the stack, from the top down. */
static uint64_t push(uint64_t *sp, const void *data, uint64_t n)
{
	*sp -= n;
	vm_write(*sp, data, n);
	return *sp;
}

static uint64_t push_word(uint64_t *sp, uint64_t v)
{
	return push(sp, &v, 8);
}

/* Splits `text` (spaces, double quotes group) into up to `max` words,
 * each pushed onto the stack; their addresses go to `out`. */
static unsigned push_words(uint64_t *sp, const char *text, uint64_t *out,
			   unsigned max)
{
	unsigned n = 0;
	char word[1024];

	while (text && *text && n < max) {
		while (*text == ' ')
			text++;
		if (!*text)
			break;
		size_t len = 0;
		bool quoted = false;
		for (; *text && (quoted || *text != ' '); text++)
			if (*text == '"')
				quoted = !quoted;
			else if (len < sizeof(word) - 1)
				word[len++] = *text;
		word[len] = '\0';
		out[n++] = push(sp, word, len + 1);
	}
	return n;
}

/* The initial stack of a Linux process: argc, argv, envp, auxv. */
uint64_t loader_stack(const struct program *p, const char *args,
		      const char *env)
{
	enum { MAX = 256 };
	static uint64_t argv[MAX + 1], envp[MAX + 1];
	uint64_t sp = STACK_TOP, random[2] = { random64(), random64() };

	if (vm_map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_R | PROT_W, 0,
		   false) < 0 ||
	    vm_map(STACK_TOP - 64 * PAGE_SIZE, 64 * PAGE_SIZE, PROT_R | PROT_W, 0,
		   true) < 0)
		panic_setup("out of memory for the program's stack");
	unsigned argc = push_words(&sp, p->name, argv, 1);
	argc += push_words(&sp, args, argv + argc, MAX - argc);
	unsigned envc = push_words(&sp, env, envp, MAX);
	uint64_t at_random = push(&sp, random, sizeof(random));
	sp &= ~15ul;
	uint64_t auxv[][2] = {
		{ AT_PHDR, p->phdr },	{ AT_PHENT, sizeof(struct elf_phdr) },
		{ AT_PHNUM, p->phnum }, { AT_PAGESZ, PAGE_SIZE },
		{ AT_ENTRY, p->entry }, { AT_UID, 0 }, { AT_EUID, 0 },
		{ AT_GID, 0 },		{ AT_EGID, 0 }, { AT_CLKTCK, 100 },
		{ AT_SECURE, 0 },	{ AT_RANDOM, at_random },
		{ AT_NULL, 0 },
	};
	/* argc, argv..., 0, envp..., 0, auxv: keep sp 16-aligned at argc. */
	if ((argc + envc + 3) % 2)
		push_word(&sp, 0);
	push(&sp, auxv, sizeof(auxv));
	push_word(&sp, 0);
	for (unsigned i = envc; i--;)
		push_word(&sp, envp[i]);
	push_word(&sp, 0);
	for (unsigned i = argc; i--;)
		push_word(&sp, argv[i]);
	push_word(&sp, argc);
	return sp;
}
