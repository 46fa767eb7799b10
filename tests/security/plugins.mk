# Issue 11, the driver side: attacks 4 (device nodes from an exec task),
# 5 (a docker volume swapped for a symlink between runs) and 7 (the host's
# environment in containers), performed from inside real tasks through the
# real `drover run`; the devices cgroup and the bind-source resolver on their
# own. Root, cgroups and dockerd, or an honest skip.
check_PROGRAMS += tests/security/test_sec_plugins tests/security/test_sec_devices \
	tests/security/test_sec_resolve
TESTS += tests/security/test_sec_plugins tests/security/test_sec_devices \
	tests/security/test_sec_resolve

tests_security_test_sec_plugins_SOURCES = tests/security/test_sec_plugins.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_security_test_sec_plugins_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) \
	-DDROVER_TEST_DOCKER_LOGGER='"$(abs_top_builddir)/plugins/docker/drover-docker-logger"'
tests_security_test_sec_plugins_LDADD = $(CRITERION_LIBS)
EXTRA_tests_security_test_sec_plugins_DEPENDENCIES = host/drover host/shim/drover-shim \
	plugins/exec/drover-exec-init plugins/docker/drover-docker-logger tests/plugins.d/.stamp

tests_security_test_sec_devices_SOURCES = tests/security/test_sec_devices.c
tests_security_test_sec_devices_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common \
	-I$(top_srcdir)/tests $(CRITERION_CFLAGS) $(CGROUP_CFLAGS)
tests_security_test_sec_devices_LDADD = plugins/common/libplugincommon.la $(CGROUP_LIBS) \
	$(CRITERION_LIBS) -lpthread

tests_security_test_sec_resolve_SOURCES = tests/security/test_sec_resolve.c
tests_security_test_sec_resolve_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common \
	-I$(top_srcdir)/tests $(CRITERION_CFLAGS)
tests_security_test_sec_resolve_LDADD = plugins/common/libpluginresolve.la $(CRITERION_LIBS)
