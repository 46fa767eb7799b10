# Group networks on the docker driver (issue 15): the pause container of
# create_network and tasks joining it, against the real dockerd and registry.
# The infra_image is drover-test-pause, linked statically (its image holds
# that one file) and never sanitized (no sanitizer runtime links statically).
check_PROGRAMS += tests/fixtures/pause/drover-test-pause tests/integration/test_docker_network
TESTS += tests/integration/test_docker_network
tests_fixtures_pause_drover_test_pause_SOURCES = tests/fixtures/pause/pause.c
tests_fixtures_pause_drover_test_pause_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_fixtures_pause_drover_test_pause_LDFLAGS = -all-static
tests_integration_test_docker_network_SOURCES = tests/integration/test_docker_network.c \
	tests/test_support.h tests/plugin_fixture.h tests/integration/docker_fixture.h \
	plugins/docker/docker_http.c plugins/docker/docker_curl.c plugins/docker/docker_plain.c \
	plugins/docker/docker_json.c
tests_integration_test_docker_network_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host \
	-I$(top_srcdir)/tests -I$(top_srcdir)/plugins/docker $(CURL_CFLAGS) $(YAJL_CFLAGS) \
	-DDOCKER_SO='"$(abs_top_builddir)/plugins/docker/.libs/docker.so"' \
	-DDOCKER_LOGGER='"$(abs_top_builddir)/plugins/docker/drover-docker-logger"' \
	-DDROVER_TEST_PAUSE='"$(abs_top_builddir)/tests/fixtures/pause/drover-test-pause"'
tests_integration_test_docker_network_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_docker_network_LDADD = host/libdroverconf.la host/libdroverproc.la \
	$(CURL_LIBS) $(YAJL_LIBS) $(CRITERION_LIBS) $(DL_LIBS) -lpthread
EXTRA_tests_integration_test_docker_network_DEPENDENCIES = plugins/docker/docker.la \
	plugins/docker/drover-docker-logger host/shim/drover-shim \
	tests/fixtures/pause/drover-test-pause

# A docker and an exec task of one bridge-mode group reaching each other on
# 127.0.0.1, through the real CLI, dockerd and CNI plugins, in its own network
# and mount namespaces (root only; see test_network.sh).
TESTS += tests/integration/test_network_docker.sh
EXTRA_DIST += tests/integration/test_network_docker.sh
AM_TESTS_ENVIRONMENT += \
	DROVER_TEST_PAUSE='$(abs_top_builddir)/tests/fixtures/pause/drover-test-pause'; \
	export DROVER_TEST_PAUSE;
