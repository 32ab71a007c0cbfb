/* FlexOS error codes.
 *
 * Every FlexOS function that can fail returns 0 (or a non-negative value) on
 * success and a negative code on failure.  Codes that mean what an errno
 * value means reuse it (-EINVAL, -ENOMEM, ...); domain errors live in a
 * private range below FLEXOS_ERROR_BASE.  One list generates the enum, the
 * messages of flexos_strerror() and the table in docs/errors.md. */
#ifndef FLEXOS_ERROR_H
#define FLEXOS_ERROR_H

#include <errno.h>

#define FLEXOS_ERROR_BASE 4000

/* X(name, value, message) */
#define FLEXOS_ERROR_LIST(X)                                                  \
	X(FLEXOS_EINVAL, -EINVAL, "invalid argument")                         \
	X(FLEXOS_ENOMEM, -ENOMEM, "out of memory")                            \
	X(FLEXOS_ENOSYS, -ENOSYS, "operation not supported by this backend")  \
	X(FLEXOS_EBACKEND, -(FLEXOS_ERROR_BASE + 1),                          \
	  "isolation backend unavailable on this machine")                    \
	X(FLEXOS_ENOKEYS, -(FLEXOS_ERROR_BASE + 2),                           \
	  "more compartments than protection keys")                          \
	X(FLEXOS_ECONFIG, -(FLEXOS_ERROR_BASE + 3),                           \
	  "invalid image configuration")                                      \
	X(FLEXOS_ENOTENTRY, -(FLEXOS_ERROR_BASE + 4),                         \
	  "function is not an entry point of its compartment")               \
	X(FLEXOS_EFAULT, -(FLEXOS_ERROR_BASE + 5),                            \
	  "compartment touched memory it does not own")

enum flexos_error {
#define FLEXOS_ERROR_ENUM(name, value, message) name = (value),
	FLEXOS_ERROR_LIST(FLEXOS_ERROR_ENUM)
#undef FLEXOS_ERROR_ENUM
};

#ifdef __cplusplus
extern "C" {
#endif

/* A static, human-readable message for a FlexOS error code (or any negative
 * errno value).  Never NULL. */
const char *flexos_strerror(int error);

#ifdef __cplusplus
}
#endif

#endif
