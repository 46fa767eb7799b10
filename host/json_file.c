#include "config.h"

#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX_BYTES ((size_t)64 * 1024 * 1024)

int drover_json_parse_file(const char *path, drover_value *out, drover_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open \"%s\": %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return drover_err_set(err, -e, "cannot read \"%s\": %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return drover_err_set(err, -EISDIR, "cannot read \"%s\": it is a directory, not a JSON file",
		                      path);
	}
	/* Read up to one byte past the limit rather than trusting st_size, so pipes
	 * and /proc files work and a growing file cannot overrun the buffer. */
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 && (size_t)st.st_size <= JSON_MAX_BYTES
		             ? (size_t)st.st_size + 1
		             : 65536;
	size_t len = 0;
	char *buf = malloc(cap);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (len == cap) {
			if (cap > JSON_MAX_BYTES) {
				rc = -EFBIG;
				break;
			}
			size_t ncap = cap * 2 > JSON_MAX_BYTES + 1 ? JSON_MAX_BYTES + 1 : cap * 2;
			char *grown = realloc(buf, ncap);
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			buf = grown;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (rc == 0 && len > JSON_MAX_BYTES)
		rc = -EFBIG;
	if (rc == -EFBIG)
		drover_err_set(err, rc, "cannot read \"%s\": it is larger than the 64 MiB drover accepts for a JSON file",
		               path);
	else if (rc == -ENOMEM)
		drover_err_set(err, rc, "cannot read \"%s\": out of memory", path);
	else if (rc < 0)
		drover_err_set(err, rc, "cannot read \"%s\": %s", path, strerror(-rc));
	if (rc == 0)
		rc = drover_json_parse(path, buf ? buf : "", len, out, err);
	free(buf);
	return rc;
}
