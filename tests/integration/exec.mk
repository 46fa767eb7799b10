# The exec driver against real namespaces, mounts and cgroups (root only;
# skipped honestly otherwise). exec_probe runs inside the tasks.
check_PROGRAMS += tests/integration/test_exec_driver tests/integration/exec_probe
TESTS += tests/integration/test_exec_driver
tests_integration_exec_probe_SOURCES = tests/integration/exec_probe.c
# Never sanitized: it runs under the task's seccomp filter, where LeakSanitizer
# cannot ptrace its threads and fails the probe at exit.
tests_integration_exec_probe_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_integration_exec_probe_LDFLAGS =
tests_integration_test_exec_driver_SOURCES = tests/integration/test_exec_driver.c \
	tests/test_support.h
tests_integration_test_exec_driver_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host \
	-I$(top_srcdir)/tests \
	-DDROVER_TEST_SHIM='"$(abs_top_builddir)/host/shim/drover-shim"' \
	-DDROVER_TEST_EXEC_INIT='"$(abs_top_builddir)/plugins/exec/drover-exec-init"' \
	-DEXEC_SO='"$(abs_top_builddir)/plugins/exec/.libs/exec.so"' \
	-DEXEC_PROBE_DIR='"$(abs_top_builddir)/tests/integration"'
tests_integration_test_exec_driver_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_exec_driver_LDADD = host/libdroverproc.la $(CRITERION_LIBS) $(DL_LIBS)
EXTRA_tests_integration_test_exec_driver_DEPENDENCIES = host/shim/drover-shim \
	plugins/exec/exec.la plugins/exec/drover-exec-init tests/integration/exec_probe

# The CLI finds drover-exec-init like the shim: through the environment.
AM_TESTS_ENVIRONMENT += \
	DROVER_EXEC_INIT='$(abs_top_builddir)/plugins/exec/drover-exec-init'; \
	export DROVER_EXEC_INIT;

# An exec task through the real `drover run`.
check_PROGRAMS += tests/integration/test_cli_exec
TESTS += tests/integration/test_cli_exec
tests_integration_test_cli_exec_SOURCES = \
	tests/integration/test_cli_exec.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_exec_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS)
tests_integration_test_cli_exec_LDADD = $(CRITERION_LIBS)
EXTRA_tests_integration_test_cli_exec_DEPENDENCIES = host/drover host/shim/drover-shim \
	plugins/exec/drover-exec-init tests/plugins.d/.stamp

# The group network's DNS block and Hostname in exec tasks, and the
# resolv.conf text (plugins/common/plugin_resolv.c).
check_PROGRAMS += tests/integration/test_exec_dns
TESTS += tests/integration/test_exec_dns
tests_integration_test_exec_dns_SOURCES = tests/integration/test_exec_dns.c \
	tests/test_support.h tests/test_wait.h
tests_integration_test_exec_dns_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host \
	-I$(top_srcdir)/tests -I$(top_srcdir)/plugins/common \
	-DDROVER_TEST_SHIM='"$(abs_top_builddir)/host/shim/drover-shim"' \
	-DDROVER_TEST_EXEC_INIT='"$(abs_top_builddir)/plugins/exec/drover-exec-init"' \
	-DEXEC_SO='"$(abs_top_builddir)/plugins/exec/.libs/exec.so"'
tests_integration_test_exec_dns_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_integration_test_exec_dns_LDADD = host/libdroverproc.la \
	plugins/common/libpluginresolve.la $(CRITERION_LIBS) $(DL_LIBS)
EXTRA_tests_integration_test_exec_dns_DEPENDENCIES = host/shim/drover-shim \
	plugins/exec/exec.la plugins/exec/drover-exec-init

# The group network's DNS block through the real `drover run`.
check_PROGRAMS += tests/integration/test_cli_dns
TESTS += tests/integration/test_cli_dns
tests_integration_test_cli_dns_SOURCES = \
	tests/integration/test_cli_dns.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_integration_test_cli_dns_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS)
tests_integration_test_cli_dns_LDADD = $(CRITERION_LIBS)
EXTRA_tests_integration_test_cli_dns_DEPENDENCIES = host/drover host/shim/drover-shim \
	plugins/exec/drover-exec-init tests/plugins.d/.stamp
