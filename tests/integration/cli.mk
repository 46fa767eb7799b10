# The drover binary end to end, through the installed-layout plugin directory.
check_PROGRAMS += tests/integration/test_cli
TESTS += tests/integration/test_cli
tests_integration_test_cli_SOURCES = \
	tests/integration/test_cli.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
# FIXTURE_LIBS_DIR: broken plugins next to raw_exec (only the drivers used load).
tests_integration_test_cli_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) \
	-DFIXTURE_LIBS_DIR='"$(abs_top_builddir)/tests/abi/fixtures/.libs"'
tests_integration_test_cli_LDADD = $(CRITERION_LIBS)
EXTRA_tests_integration_test_cli_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp tests/abi/fixtures/crash_in_init.la tests/abi/fixtures/hang_in_init.la

# Ports and ${...} interpolation through `drover run`.
check_PROGRAMS += tests/integration/test_cli_ports
TESTS += tests/integration/test_cli_ports
tests_integration_test_cli_ports_SOURCES = \
	tests/integration/test_cli_ports.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_ports_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) $(SQLITE_CFLAGS)
tests_integration_test_cli_ports_LDADD = $(CRITERION_LIBS) $(SQLITE_LIBS)
EXTRA_tests_integration_test_cli_ports_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

# Restart policy and task lifecycle through `drover run`.
check_PROGRAMS += tests/integration/test_lifecycle
TESTS += tests/integration/test_lifecycle
tests_integration_test_lifecycle_SOURCES = \
	tests/integration/test_lifecycle.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_lifecycle_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS)
tests_integration_test_lifecycle_LDADD = $(CRITERION_LIBS)
EXTRA_tests_integration_test_lifecycle_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

# The state store and the daemonless commands, end to end.
check_PROGRAMS += tests/integration/test_cli_state
TESTS += tests/integration/test_cli_state
tests_integration_test_cli_state_SOURCES = \
	tests/integration/test_cli_state.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_state_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS)
tests_integration_test_cli_state_LDADD = $(CRITERION_LIBS)
EXTRA_tests_integration_test_cli_state_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

check_PROGRAMS += tests/integration/test_agent
TESTS += tests/integration/test_agent
tests_integration_test_agent_SOURCES = \
	tests/integration/test_agent.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_agent_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) $(SQLITE_CFLAGS)
tests_integration_test_agent_LDADD = $(CRITERION_LIBS) $(SQLITE_LIBS)

# Every command once with LeakSanitizer on (the other CLI tests run drover
# without it; see cli_harness.h).
check_PROGRAMS += tests/integration/test_cli_leaks
TESTS += tests/integration/test_cli_leaks
tests_integration_test_cli_leaks_SOURCES = \
	tests/integration/test_cli_leaks.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_leaks_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS)
tests_integration_test_cli_leaks_LDADD = $(CRITERION_LIBS)
EXTRA_tests_integration_test_cli_leaks_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

# Crash consistency: a driver crashing in start(), restarts and state across
# the death of their runner, a lost database, stop on a full disk.
check_PROGRAMS += tests/integration/test_crash
TESTS += tests/integration/test_crash
tests_integration_test_crash_SOURCES = \
	tests/integration/test_crash.c tests/integration/crash_support.h \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_crash_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) \
	$(SQLITE_CFLAGS) -DFIXTURE_LIBS_DIR='"$(abs_top_builddir)/tests/abi/fixtures/.libs"'
tests_integration_test_crash_LDADD = $(CRITERION_LIBS) $(SQLITE_LIBS)
EXTRA_tests_integration_test_crash_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp $(ABI_FIXTURES)

# The crash-consistency soak: runner and agent SIGKILLed in the start path.
check_PROGRAMS += tests/integration/test_soak
TESTS += tests/integration/test_soak
tests_integration_test_soak_SOURCES = \
	tests/integration/test_soak.c tests/integration/crash_support.h \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_soak_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) \
	$(SQLITE_CFLAGS) -DFIXTURE_LIBS_DIR='"$(abs_top_builddir)/tests/abi/fixtures/.libs"'
tests_integration_test_soak_LDADD = $(CRITERION_LIBS) $(SQLITE_LIBS)
EXTRA_tests_integration_test_soak_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

# `drover status` in Nomad's shapes, states and API JSON.
check_PROGRAMS += tests/integration/test_cli_status
TESTS += tests/integration/test_cli_status
tests_integration_test_cli_status_SOURCES = \
	tests/integration/test_cli_status.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_status_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) $(YAJL_CFLAGS)
tests_integration_test_cli_status_LDADD = $(CRITERION_LIBS) $(YAJL_LIBS)
EXTRA_tests_integration_test_cli_status_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

# Many allocations at once: stopping all of them, listing all of them.
check_PROGRAMS += tests/integration/test_cli_fleet
TESTS += tests/integration/test_cli_fleet
tests_integration_test_cli_fleet_SOURCES = \
	tests/integration/test_cli_fleet.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_fleet_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) $(YAJL_CFLAGS)
tests_integration_test_cli_fleet_LDADD = $(CRITERION_LIBS) $(YAJL_LIBS)
EXTRA_tests_integration_test_cli_fleet_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

# An operator's first steps: the build tree as it is, logs, usage errors, hints.
check_PROGRAMS += tests/integration/test_cli_operator
TESTS += tests/integration/test_cli_operator
tests_integration_test_cli_operator_SOURCES = \
	tests/integration/test_cli_operator.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_operator_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS) $(YAJL_CFLAGS)
tests_integration_test_cli_operator_LDADD = $(CRITERION_LIBS) $(YAJL_LIBS)
EXTRA_tests_integration_test_cli_operator_DEPENDENCIES = host/drover host/shim/drover-shim \
	host/shim/drover-shim plugins/exec/drover-exec-init plugins/docker/drover-docker-logger \
	tests/plugins.d/.stamp
