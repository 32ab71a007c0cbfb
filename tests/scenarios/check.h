/* The scenarios' own checks: a failed one says where and exits 1, which
 * no expected status of a scenario is. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "check failed: %s (%s:%d)\n", #cond,  \
				__FILE__, __LINE__);                          \
			exit(1);                                              \
		}                                                             \
	} while (0)

#endif
