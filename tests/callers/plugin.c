/* A plugin whose own code calls back into its host by name (an upcall,
 * which its host must expose for the image to start), and which, once
 * compromised, tries to call the vault through the host's gate site
 * (tests/callers). */
#include <stdint.h>

#include <flexos/flexos.h>

#include "gate_frame.h"
#include "internal.h" /* the runtime's layout: the attacker knows it */
#include "plugin.h"

int plugin_run(void)
{
	return flexos_gate(callers, host_log, "plugin started");
}

static const char the_plugin[] = "the plugin";

/* A stub of its own with record r: what flexos__gate is handed. */
static int call_through(const struct flexos__entry_record *r)
{
	const char *who = the_plugin;
	int result;

	/* Past the red zone, on an aligned stack. */
	__asm__ volatile("movq %%rsp, %%rbx\n\t"
			 "subq $128, %%rsp\n\t"
			 "andq $-16, %%rsp\n\t"
			 "movq %2, %%r11\n\t"
			 "call flexos__gate\n\t"
			 "movq %%rbx, %%rsp"
			 : "=a"(result), "+D"(who)
			 : "r"(r)
			 : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11",
			   "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			   "xmm7", "memory", "cc");
	return result;
}

/* What the gate's C path would hand proc, without its check. */
static int ask_directly(const struct flexos__entry_record *r)
{
	_Alignas(16) struct flexos__gate_frame frame = {
		.dest = r->lib->compartment, .fn = r->fn
	};
	_Alignas(16) char stack_args[GATE_STACK_ARGS] = { 0 };

	frame.gpr[0] = (uintptr_t)the_plugin;
	flexos__sealed.backend->call(&frame, stack_args);
	return (int)frame.ret_rax;
}

/* Jumps to the gate's first WRPKRU (the switch in) with the registers the
 * gate has there: the callee's PKRU, the entry, slot 0, the caller it
 * found (the host, compartment 0), and 0 for the secret. */
static __attribute__((noreturn)) void claim_host(
	const struct flexos__entry_record *r)
{
	extern const unsigned char flexos__pkru_gate[];
	const unsigned char *site = flexos__pkru_gate;
	const struct flexos__entry *entry = flexos__entry_of((uintptr_t)r);

	while (!(site[0] == 0x0f && site[1] == 0x01 && site[2] == 0xef))
		site++;
	__asm__ volatile("movq %1, %%r10\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "xorl %%r11d, %%r11d\n\t"
			 "xorl %%r14d, %%r14d\n\t"
			 "xorl %%r15d, %%r15d\n\t"
			 "jmp *%2"
			 :
			 : "a"(entry->pkru), "r"(entry), "S"(site),
			   "D"(the_plugin)
			 : "rcx", "rdx", "r10", "r11", "r14", "r15", "memory");
	__builtin_unreachable();
}

int plugin_steal(uintptr_t fn, int route)
{
	extern const struct flexos__entry_record __start_flexos_entries[]
		__attribute__((weak));
	extern const struct flexos__entry_record __stop_flexos_entries[]
		__attribute__((weak));
	const struct flexos__entry_record *r = __start_flexos_entries;

	while (r < __stop_flexos_entries && r->fn != fn)
		r++;
	if (r == __stop_flexos_entries) /* fcall: gates are plain calls */
		return ((int (*)(const char *))fn)(the_plugin);
	if (route == PLUGIN_RAW && flexos__sealed.backend->call)
		return ask_directly(r);
	if (route == PLUGIN_CLAIMED && flexos__sealed.pkru_gate)
		claim_host(r);
	return call_through(r);
}
