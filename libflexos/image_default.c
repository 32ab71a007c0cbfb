/* The image of a program linked without a generated image description: one
 * compartment, nothing to isolate.  The generated file's strong definition
 * replaces it. */
#include <flexos/image.h>

static const struct flexos_compartment_desc single[] = {
	{ .name = "default" },
};

__attribute__((weak)) const struct flexos_image_desc flexos_image = {
	.name = "program",
	.backend = 0,
	.ncompartments = 1,
	.compartments = single,
};
