/* See plugin_resolve.h. */
#include "plugin_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESOLVE_STRICT (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* Races are rare even on a busy host (a few per cent of walks under a tight
 * mount loop, measured): 64 tries make an exhausted retry practically
 * impossible without letting a livelock spin for long. */
#define OPENAT2_TRIES 64

int plugin_openat2(int dirfd, const char *path, unsigned long long resolve)
{
	struct open_how how;
	int fd, i;

	memset(&how, 0, sizeof(how));
	/* No O_NOFOLLOW: with O_PATH it would hand back the symlink itself
	 * instead of the ELOOP that RESOLVE_NO_SYMLINKS gives for it. */
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = resolve;
	for (i = 0; i < OPENAT2_TRIES; i++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

void plugin_resolved_free(plugin_resolved *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	r->fd = -1;
	r->path = NULL;
}

static int component_error(int e, const char *what, const char *rel, const char *upto,
                           const char *base, drover_err *err)
{
	switch (e) {
	case ELOOP:
		return drover_err_set(err, -ELOOP,
		                      "%s: \"%.200s\" goes through a symlink (\"%.200s\"): paths "
		                      "beneath \"%s\" are resolved without following symlinks, "
		                      "which a task may have planted; name the directory itself",
		                      what, rel, upto, base);
	case EXDEV:
		return drover_err_set(err, -EXDEV, "%s: \"%.200s\" leads out of \"%s\"", what, rel,
		                      base);
	case ENOENT:
		return drover_err_set(err, -ENOENT, "%s: \"%.200s\" does not exist (\"%.200s\" is "
		                      "missing beneath \"%s\")",
		                      what, rel, upto, base);
	case ENOTDIR:
		return drover_err_set(err, -ENOTDIR, "%s: \"%.200s\" is not a directory beneath "
		                      "\"%s\"",
		                      what, upto, base);
	default:
		return drover_err_set(err, -e, "%s: cannot resolve \"%.200s\" beneath \"%s\": %s",
		                      what, rel, base, strerror(e));
	}
}

int plugin_resolve_beneath(const char *base_path, const char *rel, unsigned flags,
                           const char *what, plugin_resolved *out, drover_err *err)
{
	char base[PATH_MAX], canon[PATH_MAX], upto[PATH_MAX];
	size_t clen, ulen = 0;
	const char *p = rel;
	struct stat st, again;
	int fd, nfd, r;

	if (!base_path || base_path[0] != '/' || !rel)
		return drover_err_set(err, -EINVAL, "%s: no absolute base directory to resolve in",
		                      what);
	while (*rel == '/')
		rel++;
	p = rel;
	if (strlen(rel) >= sizeof(upto))
		return drover_err_set(err, -ENAMETOOLONG, "%s: \"%.200s...\" is too long", what, rel);
	/* The base is the host's; symlinks of the host above it are resolved
	 * once here, so that the canonical path below has none. */
	if (!realpath(base_path, base))
		return drover_err_set(err, -errno, "%s: cannot resolve the directory \"%s\": %s",
		                      what, base_path, strerror(errno));
	fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return drover_err_set(err, -errno, "%s: cannot open \"%s\": %s", what, base,
		                      strerror(errno));
	clen = strlen(base);
	memcpy(canon, base, clen + 1);
	upto[0] = '\0';

	while (*p) {
		size_t len;
		char comp[NAME_MAX + 1];

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len > NAME_MAX) {
			close(fd);
			return drover_err_set(err, -ENAMETOOLONG, "%s: a component of \"%.200s\" is too "
			                      "long", what, rel);
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		ulen += (size_t)snprintf(upto + ulen, sizeof(upto) - ulen, "%s%s", ulen ? "/" : "",
		                         comp);
		if (strcmp(comp, "..") == 0) {
			close(fd);
			return drover_err_set(err, -EINVAL, "%s: \"%.200s\" holds \"..\": give a path "
			                      "beneath \"%s\" without it", what, rel, base);
		}
		if (clen + 1 + len >= sizeof(canon)) {
			close(fd);
			return drover_err_set(err, -ENAMETOOLONG, "%s: \"%.200s\" is too long", what,
			                      rel);
		}
		canon[clen++] = '/';
		memcpy(canon + clen, comp, len + 1);
		clen += len;

		nfd = plugin_openat2(fd, comp, RESOLVE_STRICT);
		if (nfd < 0 && errno == ENOENT && (flags & PLUGIN_RESOLVE_MKDIR)) {
			/* mkdirat does not follow a symlink in its last component:
			 * a planted one makes it fail with EEXIST, and the lookup
			 * below then refuses it. */
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				r = drover_err_set(err, -errno, "%s: cannot create \"%.200s\" beneath "
				                   "\"%s\": %s", what, upto, base, strerror(errno));
				close(fd);
				return r;
			}
			nfd = plugin_openat2(fd, comp, RESOLVE_STRICT);
		}
		if (nfd < 0) {
			r = component_error(errno, what, rel, upto, base, err);
			close(fd);
			return r;
		}
		close(fd);
		fd = nfd;
		if (*p && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))) {
			close(fd);
			return component_error(ENOTDIR, what, rel, upto, base, err);
		}
	}
	if (fstat(fd, &st) < 0) {
		r = drover_err_set(err, -errno, "%s: cannot stat \"%.200s\": %s", what, canon,
		                   strerror(errno));
		close(fd);
		return r;
	}
	if ((flags & PLUGIN_RESOLVE_DIR_OR_FILE) && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		close(fd);
		return drover_err_set(err, -EINVAL, "%s: \"%.200s\" is neither a directory nor a "
		                      "regular file", what, rel);
	}
	/* The path handed on is looked up again by its consumer: it must name
	 * this very object now, through no symlink from "/" down. */
	nfd = plugin_openat2(AT_FDCWD, canon, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (nfd < 0 || fstat(nfd, &again) < 0 || again.st_dev != st.st_dev ||
	    again.st_ino != st.st_ino) {
		if (nfd >= 0)
			close(nfd);
		close(fd);
		return drover_err_set(err, -ESTALE, "%s: \"%.200s\" changed while it was resolved "
		                      "(something beneath \"%s\" was swapped): refused",
		                      what, rel, base);
	}
	close(nfd);
	out->path = strdup(canon);
	if (!out->path) {
		close(fd);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	out->fd = fd;
	out->st = st;
	return 0;
}
