/* The heading of a fault report, the same on every backend: Linux's
 * SIGSEGV handler (fault.c) and a baremetal image's fault handler
 * (backends/baremetal/user/fault.c) go on with what each knows more. */
#include <stdio.h>

#include "internal.h"

static const char *or_empty(const char *text)
{
	return text ? text : "";
}

void flexos__describe_accessor(unsigned accessor, char *out, size_t size)
{
	if (accessor < flexos__rt.ncompartments)
		snprintf(out, size, "compartment '%s'",
			 flexos__rt.compartments[accessor].name);
	else
		snprintf(out, size, "code with no compartment's rights");
}

void flexos__report_fault_heading(const struct flexos__fault_heading *heading)
{
	const struct flexos_fault *fault = heading->fault;
	const char *owner = heading->owned
				    ? flexos__rt.compartments[fault->owner].name
				    : NULL;
	const char *access = fault->write ? "wrote" : "read";
	char accessor[96], where[512];

	flexos__describe_accessor(fault->accessor, accessor, sizeof(accessor));
	if (heading->forged_return)
		fprintf(stderr,
			"flexos: isolation fault: %s broke a gate's checks: "
			"the gate faulted on a register the compartment "
			"returned with\n",
			accessor);
	else if (heading->isolation && heading->owned)
		fprintf(stderr,
			"flexos: isolation fault: %s %s memory private to "
			"compartment '%s'\n",
			accessor, access, owner);
	else if (heading->isolation)
		fprintf(stderr,
			"flexos: isolation fault: %s %s memory it may not "
			"access%s\n",
			accessor, access, or_empty(heading->unowned_detail));
	else if (heading->crash)
		fprintf(stderr, "flexos: %s\n", heading->crash);
	else
		fprintf(stderr, "flexos: segmentation fault in %s\n",
			accessor);
	if (!heading->no_address) {
		fprintf(stderr, "flexos:   address 0x%lx",
			(unsigned long)fault->address);
		if (heading->owned)
			fprintf(stderr, ": %s of '%s'",
				flexos__memory_kind_name(fault->kind), owner);
		if (flexos__describe_address(fault->address, where,
					     sizeof(where)))
			fprintf(stderr, " (%s)", where);
		fputc('\n', stderr);
	}
	flexos__describe_address(fault->ip, where, sizeof(where));
	fprintf(stderr, "flexos:   at %s%s\n", where,
		or_empty(heading->ip_detail));
	fprintf(stderr, "flexos:   backend %s\n", flexos_backend_name());
}
