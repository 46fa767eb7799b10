/* A Criterion main that runs one test at a time, for a test program whose
 * workers must not overlap. Include it once, at the end of the program.
 *
 * Criterion 2.4's runner leaks a small allocation of its own when workers of
 * a program overlap (LeakSanitizer reports it in the runner, with only
 * libcriterion frames; Snaipe/Criterion#515), which fails the sanitizer build
 * for a leak that is not drover's. The docker programs hit it; their daemon
 * serialises most of the work anyway. */
#ifndef DROVER_TESTS_CRITERION_SERIAL_MAIN_H
#define DROVER_TESTS_CRITERION_SERIAL_MAIN_H

#include <criterion/criterion.h>
#include <criterion/options.h>

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true)) {
		criterion_options.jobs = 1;
		result = !criterion_run_all_tests(tests);
	}
	criterion_finalize(tests);
	return result;
}

#endif
