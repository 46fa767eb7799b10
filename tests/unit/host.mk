# Unit tests of the host's own modules (CLI flags, agent config, task
# environment, allocation directories, helpers).
HOST_UNIT_TESTS = \
	tests/unit/test_cli_options \
	tests/unit/test_agent_config \
	tests/unit/test_taskenv \
	tests/unit/test_allocdir \
	tests/unit/test_util \
	tests/unit/test_interpolate \
	tests/unit/test_ports \
	tests/unit/test_portmap \
	tests/unit/test_restart_policy \
	tests/unit/test_lifecycle \
	tests/unit/test_state_store \
	tests/unit/test_status_json \
	tests/unit/test_task_events \
	tests/unit/test_task_limits \
	tests/unit/test_network_cni \
	tests/unit/test_network_store
check_PROGRAMS += $(HOST_UNIT_TESTS)
TESTS += $(HOST_UNIT_TESTS)
HOST_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/host $(CRITERION_CFLAGS)
HOST_UNIT_LDADD = host/libdroverhost.la $(CRITERION_LIBS)

tests_unit_test_cli_options_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_cli_options_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_agent_config_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_agent_config_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_taskenv_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_taskenv_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_allocdir_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_allocdir_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_util_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_util_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_interpolate_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_interpolate_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_ports_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_ports_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_portmap_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_portmap_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_restart_policy_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_restart_policy_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_lifecycle_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_lifecycle_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_network_cni_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_network_cni_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_network_store_CPPFLAGS = $(HOST_UNIT_CPPFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_network_store_LDADD = $(HOST_UNIT_LDADD) $(SQLITE_LIBS)
tests_unit_test_state_store_CPPFLAGS = $(HOST_UNIT_CPPFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_state_store_LDADD = $(HOST_UNIT_LDADD) $(SQLITE_LIBS)
tests_unit_test_status_json_SOURCES = tests/unit/test_status_json.c host/status_json.c
tests_unit_test_status_json_CPPFLAGS = $(HOST_UNIT_CPPFLAGS) $(YAJL_CFLAGS)
tests_unit_test_status_json_LDADD = $(HOST_UNIT_LDADD) $(YAJL_LIBS)
tests_unit_test_task_events_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_task_events_LDADD = $(HOST_UNIT_LDADD)
tests_unit_test_task_limits_CPPFLAGS = $(HOST_UNIT_CPPFLAGS)
tests_unit_test_task_limits_LDADD = $(HOST_UNIT_LDADD)
