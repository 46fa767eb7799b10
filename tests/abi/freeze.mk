# tests/abi/freeze.mk: the ABI 1.x freeze.
#
# test_layout: the offset and size of every member of the public structs,
# as _Static_asserts (the build fails when one moves) and again at run time.
#
# test_abidiff.sh: libabigail's view of the whole public type surface (the
# debug info of libdroverabisurface, built only for this) compared against the
# committed baseline sdk/abi/drover-sdk-1.abi, accepting only members appended
# at the end of size-prefixed structs (sdk/abi/appended-members.suppr).

check_PROGRAMS += tests/abi/test_layout
TESTS += tests/abi/test_layout
tests_abi_test_layout_SOURCES = tests/abi/abi_layout.c tests/test_support.h
tests_abi_test_layout_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_abi_test_layout_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_abi_test_layout_LDADD = $(CRITERION_LIBS)

# Never installed nor run: only its DWARF matters. Built with -g whatever the
# user's CFLAGS (a CFLAGS=-g0, which comes last, makes the test fail saying so),
# without the sanitizers (their instrumentation adds nothing to the
# types), exporting the one function.
check_LTLIBRARIES += tests/abi/libdroverabisurface.la
tests_abi_libdroverabisurface_la_SOURCES = sdk/abi/abi_surface.c
tests_abi_libdroverabisurface_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -g -fvisibility=hidden
tests_abi_libdroverabisurface_la_LDFLAGS = -avoid-version -shared -no-undefined -rpath /nowhere \
	-export-symbols-regex '^drover_abi_surface_size$$'

TESTS += tests/abi/test_abidiff.sh
EXTRA_DIST += tests/abi/test_abidiff.sh sdk/abi/drover-sdk-1.abi sdk/abi/appended-members.suppr
