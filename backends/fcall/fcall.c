/* fcall: no isolation.  Gates compile to plain calls (see <flexos/gate.h>)
 * and memory is not split, so the backend has nothing to do at run time.
 * It is the zero-cost reference every other backend is measured against. */
#include <flexos/backend.h>

const struct flexos_backend flexos_backend_fcall = {
	.name = "fcall",
};
