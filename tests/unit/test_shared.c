/* The shared heap API, in a program without compartments. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

Test(shared, calloc_zeroes_and_realloc_keeps)
{
	unsigned char *p = flexos_shared_calloc(64, 4);

	cr_assert_not_null(p);
	for (int i = 0; i < 256; i++)
		cr_assert_eq(p[i], 0);
	memset(p, 7, 256);
	p = flexos_shared_realloc(p, 100000);
	cr_assert_not_null(p);
	cr_assert_eq(p[255], 7);
	flexos_shared_free(p);
}

Test(shared, calloc_overflow_is_enomem)
{
	errno = 0;
	cr_assert_null(flexos_shared_calloc(SIZE_MAX / 2, 4));
	cr_assert_eq(errno, ENOMEM);
}

Test(shared, free_of_a_private_pointer_stops_the_image,
     .exit_code = FLEXOS_EXIT_FAULT)
{
	int local;

	flexos_shared_free(&local);
}

Test(shared, single_compartment_program_runs_on_fcall)
{
	cr_assert_eq(flexos_compartment_count(), 1);
	cr_assert_str_eq(flexos_backend_name(), "fcall");
	cr_assert_eq(flexos_current_compartment(), 0);
	cr_assert_null(flexos_compartment_name(1));
}
