/* What flexos_image() would generate for an image with the libraries
 * "app" (the default compartment) and "peer". */
#ifndef FLEXOS_IMAGE_LIBRARIES_H
#define FLEXOS_IMAGE_LIBRARIES_H
#include <flexos/image.h>
extern const struct flexos_library flexos_lib_app;
extern const struct flexos_library flexos_lib_peer;
#endif
