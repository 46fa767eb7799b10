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

# The docker driver against a real dockerd and registry (scripts/test-services.sh);
# it links the plugin's own Engine API client to inspect what the plugin created.
check_PROGRAMS += tests/integration/test_docker
TESTS += tests/integration/test_docker
tests_integration_test_docker_SOURCES = tests/integration/test_docker.c tests/test_support.h \
	tests/integration/docker_fixture.h \
	plugins/docker/docker_http.c plugins/docker/docker_curl.c plugins/docker/docker_plain.c plugins/docker/docker_json.c \
	plugins/docker/docker_cpu.c
tests_integration_test_docker_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host \
	-I$(top_srcdir)/tests -I$(top_srcdir)/plugins/docker $(CURL_CFLAGS) $(YAJL_CFLAGS) \
	-DDOCKER_SO='"$(abs_top_builddir)/plugins/docker/.libs/docker.so"' \
	-DDOCKER_LOGGER='"$(abs_top_builddir)/plugins/docker/drover-docker-logger"'
tests_integration_test_docker_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_docker_LDADD = host/libdroverconf.la host/libdroverproc.la $(CURL_LIBS) $(YAJL_LIBS) \
	$(CRITERION_LIBS) $(DL_LIBS) -lpthread
EXTRA_tests_integration_test_docker_DEPENDENCIES = plugins/docker/docker.la \
	plugins/docker/drover-docker-logger host/shim/drover-shim

# The docker log stream parser and handle encoding, without a daemon.
check_PROGRAMS += tests/integration/test_docker_logstream
TESTS += tests/integration/test_docker_logstream
tests_integration_test_docker_logstream_SOURCES = tests/integration/test_docker_logstream.c \
	plugins/docker/docker_logstream.c plugins/docker/docker_handle.c \
	plugins/docker/docker_network_handle.c
tests_integration_test_docker_logstream_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/docker \
	$(CURL_CFLAGS) $(YAJL_CFLAGS)
tests_integration_test_docker_logstream_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_docker_logstream_LDADD = $(CRITERION_LIBS)

# Group networking (bridge and none mode) end to end with the real CNI
# plugins, each case in its own network and mount namespaces (root only).
TESTS += tests/integration/test_network.sh
EXTRA_DIST += tests/integration/test_network.sh tests/integration/network_lib.sh
