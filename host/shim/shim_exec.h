/* The task's exec, with the same rules whichever libc drover-shim is built
 * against (glibc's execvpe; musl's differs in two ways, see shim_exec.c). */
#ifndef SHIM_EXEC_H
#define SHIM_EXEC_H

/* execvpe(3) as glibc does it: a file without "/" is looked up in the PATH
 * of envp (unset: "/bin:/usr/bin"; an empty element is the current
 * directory), a file found but not executable (EACCES) does not stop the
 * search but is the error if nothing else is found, and a file the kernel
 * does not recognize as a program (ENOEXEC) is run by /bin/sh. Returns only
 * on failure, with errno set. Safe in the task child of a vfork: no
 * allocation; the caller's stack must hold PATH_MAX bytes and argv again. */
void shim_execvpe(const char *file, char *const argv[], char *const envp[]);

#endif
