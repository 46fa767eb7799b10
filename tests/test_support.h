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
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

static inline int drover_test_strict(void)
{
	const char *s = getenv("DROVER_TEST_STRICT");
	return s && strcmp(s, "1") == 0;
}

/* Mounted cgroups (v1's memory controller or the v2 hierarchy): what the exec
 * driver needs besides root. */
static inline int drover_test_cgroups_usable(void)
{
	struct stat st;
	return stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &st) == 0 ||
	       stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
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

/* Stops the current test unless the exec driver can run here. */
#define drover_test_require_exec()                                                        \
	drover_test_require(geteuid() == 0 && drover_test_cgroups_usable(),               \
	                    "the exec driver needs root and mounted cgroups")

#endif
