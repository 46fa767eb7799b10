# Integration tests: real processes under the real drover-shim, the real
# raw_exec plugin loaded with dlopen.
check_PROGRAMS += tests/integration/test_shim tests/integration/test_rawexec_driver
TESTS += tests/integration/test_shim tests/integration/test_rawexec_driver

tests_integration_test_shim_SOURCES = tests/integration/test_shim.c tests/test_support.h
tests_integration_test_shim_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host -I$(top_srcdir)/tests \
	-DDROVER_TEST_SHIM='"$(abs_top_builddir)/host/shim/drover-shim"'
tests_integration_test_shim_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_shim_LDADD = host/libdroverproc.la $(CRITERION_LIBS)
EXTRA_tests_integration_test_shim_DEPENDENCIES = host/shim/drover-shim

tests_integration_test_rawexec_driver_SOURCES = tests/integration/test_rawexec_driver.c \
	tests/test_support.h
tests_integration_test_rawexec_driver_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host \
	-I$(top_srcdir)/tests \
	-DDROVER_TEST_SHIM='"$(abs_top_builddir)/host/shim/drover-shim"' \
	-DRAWEXEC_SO='"$(abs_top_builddir)/plugins/rawexec/.libs/raw_exec.so"'
tests_integration_test_rawexec_driver_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_rawexec_driver_LDADD = host/libdroverproc.la $(CRITERION_LIBS) $(DL_LIBS)
EXTRA_tests_integration_test_rawexec_driver_DEPENDENCIES = host/shim/drover-shim \
	plugins/rawexec/raw_exec.la
