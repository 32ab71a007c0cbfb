/* FlexOS: the header for applications.
 *
 * Source code says *what* crosses a boundary (gates, shared data); the build
 * says *where* the boundaries are and *how* they are enforced. */
#ifndef FLEXOS_H
#define FLEXOS_H

#include <flexos/error.h>
#include <flexos/gate.h>
#include <flexos/hooks.h>
#include <flexos/shared.h>
#include <flexos/version.h>

/* Exit status of an image stopped by an isolation fault. */
#define FLEXOS_EXIT_FAULT 86
/* Exit status of an image whose runtime could not start (bad environment,
 * backend unavailable, too many compartments for the hardware). */
#define FLEXOS_EXIT_SETUP 87

#ifdef __cplusplus
extern "C" {
#endif

/* The compartment the calling thread runs in (0 is the default one). */
unsigned flexos_current_compartment(void);
/* The number of compartments of the image. */
unsigned flexos_compartment_count(void);
/* A compartment's name, or NULL when `compartment` is out of range. */
const char *flexos_compartment_name(unsigned compartment);
/* The backend enforcing the image, e.g. "fcall", "mpk/emu", "mpk/hw". */
const char *flexos_backend_name(void);

#ifdef __cplusplus
}
#endif

#endif
