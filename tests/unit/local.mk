# tests/unit/local.mk: JSON, schema checks and job files (host/libdroverconf.la).
CONF_UNIT_TESTS = \
	tests/unit/test_json \
	tests/unit/test_schema_check \
	tests/unit/test_jobspec \
	tests/unit/test_display
check_PROGRAMS += $(CONF_UNIT_TESTS)
TESTS += $(CONF_UNIT_TESTS)
CONF_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/host $(CRITERION_CFLAGS) \
	-DFIXTURES_DIR=\"$(abs_top_srcdir)/tests/fixtures\"
CONF_UNIT_LDADD = host/libdroverconf.la $(CRITERION_LIBS)

tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CPPFLAGS = $(CONF_UNIT_CPPFLAGS)
tests_unit_test_json_LDADD = $(CONF_UNIT_LDADD)
tests_unit_test_schema_check_SOURCES = tests/unit/test_schema_check.c
tests_unit_test_schema_check_CPPFLAGS = $(CONF_UNIT_CPPFLAGS)
tests_unit_test_schema_check_LDADD = $(CONF_UNIT_LDADD)
tests_unit_test_jobspec_SOURCES = tests/unit/test_jobspec.c
tests_unit_test_jobspec_CPPFLAGS = $(CONF_UNIT_CPPFLAGS)
tests_unit_test_jobspec_LDADD = $(CONF_UNIT_LDADD)
tests_unit_test_display_SOURCES = tests/unit/test_display.c
tests_unit_test_display_CPPFLAGS = $(CONF_UNIT_CPPFLAGS)
tests_unit_test_display_LDADD = $(CONF_UNIT_LDADD)

EXTRA_DIST += \
	tests/fixtures/jobs/nomad-output.json \
	tests/fixtures/jobs/bare-batch.json \
	tests/fixtures/jobs/bad-syntax.json \
	tests/fixtures/jobs/bad-structure.json \
	tests/fixtures/jobs/hostile-names.json

# The docker driver's JSON reader, compiled from the plugin's source.
check_PROGRAMS += tests/unit/test_docker_json
TESTS += tests/unit/test_docker_json
tests_unit_test_docker_json_SOURCES = tests/unit/test_docker_json.c plugins/docker/docker_json.c
tests_unit_test_docker_json_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/docker $(YAJL_CFLAGS)
tests_unit_test_docker_json_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_docker_json_LDADD = $(YAJL_LIBS) $(CRITERION_LIBS)

# The docker driver's plain GET on a unix socket (without libcurl), against a
# socket this test serves.
check_PROGRAMS += tests/unit/test_docker_plain
TESTS += tests/unit/test_docker_plain
tests_unit_test_docker_plain_SOURCES = tests/unit/test_docker_plain.c plugins/docker/docker_plain.c
tests_unit_test_docker_plain_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/docker
tests_unit_test_docker_plain_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_docker_plain_LDADD = $(CRITERION_LIBS) -lpthread
