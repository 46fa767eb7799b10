# tests/abi: the plugin loader against real fixture plugins (one per way a
# plugin can be right or wrong), and the public headers compiled alone as C99
# and as C++.

# Fixture plugins are libtool modules built like real ones (hidden visibility,
# bound immediately). `-rpath` makes libtool build a real shared object for a
# check library; they are never installed.
ABI_FIXTURE_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
ABI_FIXTURE_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere -Wl,-z,now
ABI_FIXTURES = \
	tests/abi/fixtures/good.la \
	tests/abi/fixtures/old_minor.la \
	tests/abi/fixtures/newer_minor.la \
	tests/abi/fixtures/other_major.la \
	tests/abi/fixtures/entry_v2_only.la \
	tests/abi/fixtures/no_entry.la \
	tests/abi/fixtures/size_zero.la \
	tests/abi/fixtures/size_small.la \
	tests/abi/fixtures/size_large.la \
	tests/abi/fixtures/missing_method.la \
	tests/abi/fixtures/bad_name.la \
	tests/abi/fixtures/dup_a.la \
	tests/abi/fixtures/dup_b.la \
	tests/abi/fixtures/init_fails.la \
	tests/abi/fixtures/bad_config.la \
	tests/abi/fixtures/needs_missing_lib.la \
	tests/abi/fixtures/unresolved_symbol.la \
	tests/abi/fixtures/crash_in_constructor.la \
	tests/abi/fixtures/crash_in_init.la \
	tests/abi/fixtures/crash_in_fingerprint.la \
	tests/abi/fixtures/crash_in_start.la \
	tests/abi/fixtures/hang_in_init.la \
	tests/abi/fixtures/hang_in_fingerprint.la

check_LTLIBRARIES += $(ABI_FIXTURES) tests/abi/fixtures/libdroverabsent.la
EXTRA_DIST += tests/abi/fixtures/fixture_common.h

# unresolved_symbol again, linked without -z now: the host must bind it
# immediately all the same.
ABI_FIXTURES += tests/abi/fixtures/lazy_unresolved.la
tests_abi_fixtures_lazy_unresolved_la_SOURCES = tests/abi/fixtures/unresolved_symbol.c
tests_abi_fixtures_lazy_unresolved_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_lazy_unresolved_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere

# needs_missing_lib links against it; the test never puts it where the
# dynamic loader looks.
tests_abi_fixtures_libdroverabsent_la_SOURCES = tests/abi/fixtures/libdroverabsent.c
tests_abi_fixtures_libdroverabsent_la_LDFLAGS = $(AM_LDFLAGS) -avoid-version -no-undefined -rpath /nowhere

tests_abi_fixtures_good_la_SOURCES = tests/abi/fixtures/good.c
tests_abi_fixtures_good_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_good_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_old_minor_la_SOURCES = tests/abi/fixtures/old_minor.c
tests_abi_fixtures_old_minor_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_old_minor_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_newer_minor_la_SOURCES = tests/abi/fixtures/newer_minor.c
tests_abi_fixtures_newer_minor_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_newer_minor_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_other_major_la_SOURCES = tests/abi/fixtures/other_major.c
tests_abi_fixtures_other_major_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_other_major_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_entry_v2_only_la_SOURCES = tests/abi/fixtures/entry_v2_only.c
tests_abi_fixtures_entry_v2_only_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_entry_v2_only_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_no_entry_la_SOURCES = tests/abi/fixtures/no_entry.c
tests_abi_fixtures_no_entry_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_no_entry_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_size_zero_la_SOURCES = tests/abi/fixtures/size_zero.c
tests_abi_fixtures_size_zero_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_size_zero_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_size_small_la_SOURCES = tests/abi/fixtures/size_small.c
tests_abi_fixtures_size_small_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_size_small_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_size_large_la_SOURCES = tests/abi/fixtures/size_large.c
tests_abi_fixtures_size_large_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_size_large_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_missing_method_la_SOURCES = tests/abi/fixtures/missing_method.c
tests_abi_fixtures_missing_method_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_missing_method_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_bad_name_la_SOURCES = tests/abi/fixtures/bad_name.c
tests_abi_fixtures_bad_name_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_bad_name_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_dup_a_la_SOURCES = tests/abi/fixtures/dup_a.c
tests_abi_fixtures_dup_a_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_dup_a_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_dup_b_la_SOURCES = tests/abi/fixtures/dup_b.c
tests_abi_fixtures_dup_b_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_dup_b_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_init_fails_la_SOURCES = tests/abi/fixtures/init_fails.c
tests_abi_fixtures_init_fails_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_init_fails_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_bad_config_la_SOURCES = tests/abi/fixtures/bad_config.c
tests_abi_fixtures_bad_config_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_bad_config_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_needs_missing_lib_la_SOURCES = tests/abi/fixtures/needs_missing_lib.c
tests_abi_fixtures_needs_missing_lib_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
# Linked against the .so file itself rather than the .la: libtool would record
# the build directory as a run path, and the library would be found.
tests_abi_fixtures_needs_missing_lib_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined \
	-Wl,tests/abi/fixtures/.libs/libdroverabsent.so
EXTRA_tests_abi_fixtures_needs_missing_lib_la_DEPENDENCIES = tests/abi/fixtures/libdroverabsent.la

tests_abi_fixtures_unresolved_symbol_la_SOURCES = tests/abi/fixtures/unresolved_symbol.c
tests_abi_fixtures_unresolved_symbol_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
# Left undefined on purpose: the loader must refuse it at load time.
tests_abi_fixtures_unresolved_symbol_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS)

# Plugins that crash or hang while loading: probed in a child, refused by name.
tests_abi_fixtures_crash_in_constructor_la_SOURCES = tests/abi/fixtures/crash_in_constructor.c
tests_abi_fixtures_crash_in_constructor_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_crash_in_constructor_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_crash_in_init_la_SOURCES = tests/abi/fixtures/crash_in_init.c
tests_abi_fixtures_crash_in_init_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_crash_in_init_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_crash_in_start_la_SOURCES = tests/abi/fixtures/crash_in_start.c
tests_abi_fixtures_crash_in_start_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_crash_in_start_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_crash_in_fingerprint_la_SOURCES = tests/abi/fixtures/crash_in_fingerprint.c
tests_abi_fixtures_crash_in_fingerprint_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_crash_in_fingerprint_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_hang_in_init_la_SOURCES = tests/abi/fixtures/hang_in_init.c
tests_abi_fixtures_hang_in_init_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_hang_in_init_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

tests_abi_fixtures_hang_in_fingerprint_la_SOURCES = tests/abi/fixtures/hang_in_fingerprint.c
tests_abi_fixtures_hang_in_fingerprint_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_hang_in_fingerprint_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

check_PROGRAMS += tests/abi/test_loader
TESTS += tests/abi/test_loader tests/abi/test_headers.sh
EXTRA_DIST += tests/abi/test_headers.sh
tests_abi_test_loader_SOURCES = tests/abi/test_loader.c tests/test_support.h tests/test_files.h
tests_abi_test_loader_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host -I$(top_srcdir)/tests \
	-DFIXTURE_LIBS_DIR='"$(abs_top_builddir)/tests/abi/fixtures/.libs"' \
	-DCONFIGURE_ABI_MAJOR=$(DROVER_ABI_MAJOR) -DCONFIGURE_ABI_MINOR=$(DROVER_ABI_MINOR)
tests_abi_test_loader_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_abi_test_loader_LDADD = host/libdroverloader.la $(CRITERION_LIBS)
# The test opens the fixtures' .so files, so building it builds them.
EXTRA_tests_abi_test_loader_DEPENDENCIES = $(ABI_FIXTURES)

# The probe and fingerprint caches (host/loader_cache.h) against a real
# plugin file that counts its own init and fingerprint calls.
ABI_FIXTURES += tests/abi/fixtures/counted.la
tests_abi_fixtures_counted_la_SOURCES = tests/abi/fixtures/counted.c
tests_abi_fixtures_counted_la_CFLAGS = $(ABI_FIXTURE_CFLAGS)
tests_abi_fixtures_counted_la_LDFLAGS = $(ABI_FIXTURE_LDFLAGS) -no-undefined

check_PROGRAMS += tests/abi/test_loader_cache
TESTS += tests/abi/test_loader_cache
tests_abi_test_loader_cache_SOURCES = tests/abi/test_loader_cache.c tests/test_support.h \
	tests/test_files.h
tests_abi_test_loader_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host -I$(top_srcdir)/tests \
	-DFIXTURE_LIBS_DIR='"$(abs_top_builddir)/tests/abi/fixtures/.libs"'
tests_abi_test_loader_cache_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_abi_test_loader_cache_LDADD = host/libdroverloader.la $(CRITERION_LIBS)
EXTRA_tests_abi_test_loader_cache_DEPENDENCIES = tests/abi/fixtures/counted.la
