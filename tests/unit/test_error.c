#include <criterion/criterion.h>
#include <string.h>

#include <flexos/error.h>

Test(error, every_code_has_its_own_message)
{
	static const int codes[] = {
#define CODE(name, value, message) name,
		FLEXOS_ERROR_LIST(CODE)
#undef CODE
	};
	size_t n = sizeof(codes) / sizeof(codes[0]);

	for (size_t i = 0; i < n; i++) {
		cr_assert_lt(codes[i], 0, "error codes are negative");
		for (size_t j = i + 1; j < n; j++)
			cr_assert_str_neq(flexos_strerror(codes[i]),
					  flexos_strerror(codes[j]));
	}
}

Test(error, domain_codes_are_outside_errno_range)
{
	cr_assert_leq(FLEXOS_EBACKEND, -FLEXOS_ERROR_BASE);
	cr_assert_str_eq(flexos_strerror(FLEXOS_ENOKEYS),
			 "more compartments than protection keys");
}

Test(error, other_errno_values_use_the_c_library)
{
	cr_assert_str_eq(flexos_strerror(-EACCES), strerror(EACCES));
}

Test(error, unknown_codes_still_get_a_message)
{
	cr_assert_str_eq(flexos_strerror(-99999), "unknown error");
	cr_assert_str_eq(flexos_strerror(12), "unknown error");
}
