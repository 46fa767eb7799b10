/* The task's exec; see shim_exec.h. musl's execvpe searches "/usr/local/bin:
 * /bin:/usr/bin" when PATH is unset and never hands a file without "#!" to
 * /bin/sh; a task must not run differently with a shim built against musl
 * (configure --enable-musl-shim) than with one built against glibc. */
#include "shim_exec.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
/* Runs in the task child, which shares the shim's memory and whose frames are
 * never popped once the exec succeeds: sanitizer bookkeeping of them would be
 * left behind in the shim's memory (as for run_task in shim.c). */
#define EXEC_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
#endif
#endif
#ifndef EXEC_NO_SANITIZE
#define EXEC_NO_SANITIZE
#endif

static const char *EXEC_NO_SANITIZE path_of(char *const envp[])
{
	size_t i;

	for (i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return NULL;
}

/* execve, then /bin/sh with the file as its script when the kernel does not
 * know the format. */
static void EXEC_NO_SANITIZE exec_or_sh(const char *path, char *const argv[], char *const envp[])
{
	size_t argc = 0, i;

	execve(path, argv, envp);
	if (errno != ENOEXEC)
		return;
	while (argv[argc])
		argc++;
	{
		/* "/bin/sh", the file, then argv[1...] */
		char *sh_argv[argc + 3];

		sh_argv[0] = (char *)"/bin/sh";
		sh_argv[1] = (char *)path;
		for (i = 1; i < argc; i++)
			sh_argv[i + 1] = argv[i];
		sh_argv[(argc ? argc : 1) + 1] = NULL;
		execve("/bin/sh", sh_argv, envp);
	}
	errno = ENOEXEC;
}

void EXEC_NO_SANITIZE shim_execvpe(const char *file, char *const argv[], char *const envp[])
{
	char buf[PATH_MAX];
	const char *p, *path;
	size_t flen, dlen;
	int eacces = 0;

	if (!file[0]) {
		errno = ENOENT;
		return;
	}
	if (strchr(file, '/')) {
		exec_or_sh(file, argv, envp);
		return;
	}
	flen = strlen(file);
	if (flen > NAME_MAX) {
		errno = ENAMETOOLONG;
		return;
	}
	path = path_of(envp);
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p += dlen + 1) {
		const char *end = strchr(p, ':');

		dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen + 1 + flen < sizeof(buf)) {
			/* An empty element is the current directory, as in glibc. */
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			exec_or_sh(dlen ? buf : file, argv, envp);
			switch (errno) {
			case EACCES:
				eacces = 1;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return;
			}
		}
		if (!end)
			break;
	}
	errno = eacces ? EACCES : ENOENT;
}
