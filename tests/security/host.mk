# tests/security/: issue 11's attacks, performed from inside real tasks and as
# an unprivileged local user, each asserting that it fails (see
# doc/security.md). This fragment: the host and shim side (attacks 1, 2, 3, 6).
check_PROGRAMS += tests/security/test_attacks_host
TESTS += tests/security/test_attacks_host
tests_security_test_attacks_host_SOURCES = \
	tests/security/test_attacks_host.c \
	tests/security/security_harness.c tests/security/security_harness.h \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_security_test_attacks_host_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) \
	-DSEC_DOCKER_LOGGER='"$(abs_top_builddir)/plugins/docker/drover-docker-logger"'
tests_security_test_attacks_host_LDADD = $(CRITERION_LIBS)
EXTRA_tests_security_test_attacks_host_DEPENDENCIES = host/drover host/shim/drover-shim \
	plugins/exec/drover-exec-init plugins/docker/drover-docker-logger tests/plugins.d/.stamp
