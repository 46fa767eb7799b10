#include "config.h"

#include "handshake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nomad_handshake_check_cookie(const char *cookie)
{
	return cookie && strcmp(cookie, NOMAD_MAGIC_COOKIE_VALUE) == 0 ? 0 : -EPERM;
}

int nomad_handshake_protocol(const char *offered, drover_err *err)
{
	if (!offered || !*offered)
		return NOMAD_APP_PROTOCOL;
	const char *p = offered;
	while (*p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end != p && errno == 0 && v == NOMAD_APP_PROTOCOL && (*end == ',' || !*end))
			return NOMAD_APP_PROTOCOL;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return drover_err_set(err, -EPROTONOSUPPORT,
	                      "the client offers plugin protocol versions \"%s\" "
	                      "(PLUGIN_PROTOCOL_VERSIONS) but this plugin speaks only version %d: "
	                      "use a Nomad client whose driver plugins speak version %d",
	                      offered, NOMAD_APP_PROTOCOL, NOMAD_APP_PROTOCOL);
}

int nomad_handshake_socket_path(char *out, size_t size, drover_err *err)
{
	const char *dir = getenv("PLUGIN_UNIX_SOCKET_DIR");
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	/* mkstemp picks a name no one holds; the socket replaces the file. */
	int n = snprintf(out, size, "%s/pluginXXXXXX", dir);
	if (n < 0 || (size_t)n >= size || (size_t)n > 107)
		return drover_err_set(err, -ENAMETOOLONG,
		                      "socket directory \"%s\" is too long for a unix socket path: "
		                      "set PLUGIN_UNIX_SOCKET_DIR to a shorter one", dir);
	int fd = mkstemp(out);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot create a socket in \"%s\": %s", dir,
		                      strerror(errno));
	close(fd);
	if (unlink(out) < 0)
		return drover_err_set(err, -errno, "cannot replace \"%s\": %s", out, strerror(errno));
	return 0;
}

int nomad_handshake_line(char *out, size_t size, int app_protocol, const char *socket_path)
{
	int n = snprintf(out, size, "%d|%d|unix|%s|grpc|\n", GOPLUGIN_CORE_PROTOCOL, app_protocol,
	                 socket_path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
