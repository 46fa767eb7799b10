/* Shared by every test program: skipping honestly.
 *
 * A test that needs something absent (root, cgroups, dockerd) skips with a
 * message saying what is missing on a developer's machine, and fails instead
 * when DROVER_TEST_STRICT=1 (set by .ci/run), so CI can never go green by
 * skipping.
 */
#ifndef DROVER_TEST_SUPPORT_H
#define DROVER_TEST_SUPPORT_H

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

static inline int drover_test_strict(void)
{
	const char *s = getenv("DROVER_TEST_STRICT");
	return s && strcmp(s, "1") == 0;
}

/* Stops the current test unless `cond` holds: skip (or fail when strict). */
#define drover_test_require(cond, ...)                                                       \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			if (drover_test_strict())                                             \
				cr_assert_fail("required for this test but missing (DROVER_TEST_STRICT=1): " __VA_ARGS__); \
			else                                                                  \
				cr_skip_test(__VA_ARGS__);                                    \
			return;                                                               \
		}                                                                             \
	} while (0)

#endif
