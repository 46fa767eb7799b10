# The docker driver: tasks are containers of a Docker daemon, reached through the
# Engine API (libcurl over its unix socket, JSON through yajl). No drover-shim:
# the daemon owns the containers. libcurl is not linked: docker_curl.c opens it
# on the first Engine API request, so that loading the driver stays cheap.
plugin_LTLIBRARIES += plugins/docker/docker.la
plugins_docker_docker_la_SOURCES = \
	plugins/docker/docker.c \
	plugins/docker/docker_schema.c plugins/docker/docker_schema.h \
	plugins/docker/docker_settings.c plugins/docker/docker_settings.h \
	plugins/docker/docker_http.c plugins/docker/docker_http.h \
	plugins/docker/docker_curl.c plugins/docker/docker_curl.h \
	plugins/docker/docker_plain.c plugins/docker/docker_plain.h \
	plugins/docker/docker_json.c plugins/docker/docker_json.h \
	plugins/docker/docker_container.c plugins/docker/docker_container.h \
	plugins/docker/docker_dns.c plugins/docker/docker_dns.h \
	plugins/docker/docker_hosts.c plugins/docker/docker_hosts.h \
	plugins/docker/docker_image.c plugins/docker/docker_image.h \
	plugins/docker/docker_auth.c plugins/docker/docker_auth.h \
	plugins/docker/docker_state.c plugins/docker/docker_state.h \
	plugins/docker/docker_monitor.c plugins/docker/docker_monitor.h \
	plugins/docker/docker_fingerprint.c plugins/docker/docker_fingerprint.h \
	plugins/docker/docker_handle.c plugins/docker/docker_handle.h \
	plugins/docker/docker_network.c plugins/docker/docker_network.h \
	plugins/docker/docker_network_handle.c
plugins_docker_docker_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(YAJL_CFLAGS) \
	-I$(top_srcdir)/plugins/common
plugins_docker_docker_la_CFLAGS = $(AM_CFLAGS) $(PLUGIN_COMPILE_FLAGS)
plugins_docker_docker_la_LDFLAGS = $(AM_LDFLAGS) $(PLUGIN_LINK_FLAGS)
plugins_docker_docker_la_LIBADD = plugins/common/libpluginresolve.la $(YAJL_LIBS) \
	$(DL_LIBS) -lpthread
EXTRA_DIST += scripts/test-services.sh
plugins_docker_docker_la_SOURCES += \
	plugins/docker/docker_logger_run.c plugins/docker/docker_logger_run.h \
	plugins/docker/docker_exec.c plugins/docker/docker_exec.h \
	plugins/docker/docker_logstream.c plugins/docker/docker_logstream.h \
	plugins/docker/docker_cpu.c plugins/docker/docker_cpu.h \
	plugins/docker/docker_gc.c plugins/docker/docker_gc.h
plugins_docker_docker_la_CPPFLAGS += \
	-DDOCKER_LOGGER_PATH='"$(pkglibexecdir)/drover-docker-logger"'

# The log follower a docker task's drover-shim runs (docker_logger.c): it copies
# the container's log stream to its stdout/stderr, which the shim rotates.
pkglibexec_PROGRAMS += plugins/docker/drover-docker-logger
plugins_docker_drover_docker_logger_SOURCES = \
	plugins/docker/docker_logger.c \
	plugins/docker/docker_logstream.c plugins/docker/docker_logstream.h \
	plugins/docker/docker_http.c plugins/docker/docker_curl.c plugins/docker/docker_plain.c \
	plugins/docker/docker_json.c
plugins_docker_drover_docker_logger_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(YAJL_CFLAGS)
plugins_docker_drover_docker_logger_LDADD = $(YAJL_LIBS) $(DL_LIBS) -lpthread
