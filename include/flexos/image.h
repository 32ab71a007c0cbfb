/* The description of an image: which compartments it has, which library
 * lives where, and which backend enforces the boundaries.
 *
 * Applications never write this by hand: flexos_image() in CMake generates
 * it from the build configuration.  It is public because the generated file
 * is compiled against it; a build without CMake may write the same few
 * lines (see the generated image.c of any example). */
#ifndef FLEXOS_IMAGE_H
#define FLEXOS_IMAGE_H

#include <stdint.h>

#define FLEXOS_MAX_COMPARTMENTS 16

struct flexos_backend;

/* A library token: what `lib` in flexos_gate(lib, ...) names. */
struct flexos_library {
	unsigned compartment; /* first member: read by the gate trampoline */
	const char *name;
};

struct flexos_compartment_desc {
	const char *name;
	/* Page-aligned writable static data of the compartment's libraries,
	 * placed there by the generated link step; empty when it has none.
	 * Initialised data and zero-filled data (.bss) are two ranges: the
	 * link step keeps every .bss after all initialised data, so that it
	 * takes no room in the file. */
	char *data_start;
	char *data_end;
	char *bss_start;
	char *bss_end;
	/* The compartments that may read and write this one's memory (its
	 * static data, heap and stacks), bit c for compartment c: this one
	 * is their sandbox (flexos_image(... SANDBOXED_BY)); it never
	 * reaches theirs. */
	uint32_t trusted_by;
	/* The part of the shared region (FLEXOS_SHARED data) that comes
	 * from this compartment's libraries: what FLEXOS_STATS counts as
	 * its shared static data. */
	char *shared_start;
	char *shared_end;
	/* The gate records (section flexos_entries) of this compartment's
	 * code, placed together by the generated link step: a record says
	 * which compartments may call through it, and what a library's own
	 * record may say is limited (<flexos/gate.h>).  The default
	 * compartment's include flexos-gen's stubs. */
	const char *entries_start;
	const char *entries_end;
};

struct flexos_image_desc {
	const char *name;
	const struct flexos_backend *backend;
	unsigned ncompartments; /* compartment 0 is the default one */
	const struct flexos_compartment_desc *compartments;
	/* FLEXOS_SHARED data, page aligned; empty when not laid out. */
	char *shared_start;
	char *shared_end;
	/* The sharing policy the build chose (docs/porting.md), or NULL:
	 * its file's name as the build gave it, for messages, and its text,
	 * read when the image was built, so that the image carries it
	 * wherever it is installed.  FLEXOS_POLICY overrides it. */
	const char *policy;
	const char *policy_text;
	/* Where a learning run writes its report (path prefix), or NULL:
	 * the image runs in learning mode when this or FLEXOS_LEARN is set. */
	const char *learn;
};

/* Defined by the generated image file; a program linked without one is a
 * single-compartment image without isolation. */
extern const struct flexos_image_desc flexos_image;

#endif
