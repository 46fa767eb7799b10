/* Runs inside an exec task (bound into its root through chroot_env) and
 * reports what the task can and cannot do, one "key=value" line each, for
 * test_exec_driver. Each probe makes the real system call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <unistd.h>

static const char *outcome(int ok)
{
	static char buf[64];
	if (ok)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	return buf;
}

static void try_write(const char *key, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("%s=%s\n", key, outcome(fd >= 0));
	if (fd >= 0)
		close(fd);
}

static void status_line(const char *field, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	snprintf(out, len, "?");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0) {
			const char *v = line + strlen(field);
			v += strspn(v, " \t");
			snprintf(out, len, "%s", v);
			out[strcspn(out, " \t\n")] = '\0';
		}
	if (f)
		fclose(f);
}

static int report(const char *secret, const char *marker)
{
	char v[64], fds[256] = "";
	unsigned long long eff;
	DIR *d;
	struct dirent *e;
	int fd;

	printf("uid=%d\n", (int)getuid());
	status_line("NoNewPrivs:", v, sizeof(v));
	printf("no_new_privs=%s\n", v);
	status_line("CapEff:", v, sizeof(v));
	eff = strtoull(v, NULL, 16);
	printf("net_raw_effective=%d\n", (int)((eff >> 13) & 1));
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		if (strlen(fds) + strlen(e->d_name) + 2 < sizeof(fds)) {
			strcat(fds, fds[0] ? "," : "");
			strcat(fds, e->d_name);
		}
	}
	if (d)
		closedir(d);
	printf("fds=%s\n", fds);
	try_write("write_usr", "/usr/drover-probe");
	try_write("write_bin", "/bin/drover-probe");
	fd = open(secret, O_RDONLY);
	printf("read_secret=%s\n", outcome(fd >= 0));
	try_write("write_tmp", marker);
	fflush(stdout);
	return 0;
}

static int attack(int host_pid)
{
	int s;

	printf("mount=%s\n", outcome(mount("none", "/tmp", "tmpfs", 0, NULL) == 0));
	printf("unshare=%s\n", outcome(unshare(CLONE_NEWNS) == 0));
	printf("unshare_user=%s\n", outcome(unshare(CLONE_NEWUSER) == 0));
	printf("ptrace=%s\n", outcome(ptrace(PTRACE_ATTACH, host_pid, NULL, NULL) == 0));
	printf("ptrace_parent=%s\n", outcome(ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == 0));
	s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	printf("rawsock=%s\n", outcome(s >= 0));
	fflush(stdout);
	return 0;
}

static int alloc(long mb)
{
	size_t len = (size_t)mb << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return 2;
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	printf("allocated=%ld\n", mb);
	return 0;
}

static int forkbomb(void)
{
	long n = 0;

	for (;;) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			printf("fork_failed=%s after=%ld\n", outcome(0), n);
			fflush(stdout);
			for (;;)
				pause();
		}
		n++;
	}
}

/* Ignores SIGINT, double-forks a grandchild into its own session (so it
 * leaves the task's process group), and waits. */
static int escape(void)
{
	signal(SIGINT, SIG_IGN);
	if (fork() == 0) {
		setsid();
		if (fork() == 0) {
			printf("grandchild=%d\n", (int)getpid());
			fflush(stdout);
			for (;;)
				pause();
		}
		_exit(0);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "report") == 0)
		return report(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "attack") == 0)
		return attack(atoi(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "alloc") == 0)
		return alloc(atol(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "forkbomb") == 0)
		return forkbomb();
	if (argc >= 2 && strcmp(argv[1], "escape") == 0)
		return escape();
	fprintf(stderr, "exec_probe: report SECRET MARKER | attack PID | alloc MB | forkbomb | escape\n");
	return 2;
}
