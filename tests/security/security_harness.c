#include "security_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tests/test_support.h"
#include "tests/test_wait.h"

static const char *plugin_dir(void)
{
	const char *p = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(p, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return p;
}

void sec_env_setup(sec_env *env)
{
	memset(env, 0, sizeof(*env));
	cli_env_setup(&env->cli);
	/* drover finds its docker log follower as it finds the shim. */
	setenv("DROVER_DOCKER_LOGGER", SEC_DOCKER_LOGGER, 1);
	env->data_dir = env->cli.data_dir;
	/* A data dir under a 0700 mkdtemp would stop a task of another uid
	 * before drover's own modes are tested: open the way to it as an
	 * operator's /var/lib/drover is open. */
	cr_assert_eq(chmod(env->cli.root, 0711), 0);
	char *p = cli_write_file(&env->cli, "agent-sec.json",
	                         "{\"client\": {\"chroot_env\": {\"/bin\": \"/bin\", \"/etc\": "
	                         "\"/etc\", \"/lib\": \"/lib\", \"/lib64\": \"/lib64\", \"/usr\": "
	                         "\"/usr\"}},\n \"plugin\": {\"raw_exec\": {\"config\": "
	                         "{\"enabled\": true}}, \"exec\": {\"config\": "
	                         "{\"pids_limit\": 128}}}}\n");
	snprintf(env->config, sizeof(env->config), "%s", p);
	free(p);
}

static void docker_image_remove(const char *ref)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "docker rmi -f %s >/dev/null 2>&1", ref);
	if (system(cmd) != 0) {
		/* Already gone: nothing to clean. */
	}
}

void sec_env_teardown(sec_env *env)
{
	cli_env_teardown(&env->cli);
	if (env->image[0])
		docker_image_remove(env->image);
}

sec_victim sec_victim_make(const sec_env *env)
{
	sec_victim v;
	memset(&v, 0, sizeof(v));
	snprintf(v.dir, sizeof(v.dir), "%s/victims", env->cli.root);
	if (mkdir(v.dir, 0700) < 0)
		cr_assert_eq(errno, EEXIST, "mkdir %s: %s", v.dir, strerror(errno));
	snprintf(v.path, sizeof(v.path), "%s/victim", v.dir);
	FILE *f = fopen(v.path, "we");
	cr_assert(f, "%s: %s", v.path, strerror(errno));
	fputs("root's precious file\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(v.path, 0600), 0);
	/* An mtime in the past: any write would move it. */
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	cr_assert_eq(utimensat(AT_FDCWD, v.path, old, 0), 0);
	cr_assert_eq(stat(v.path, &v.before), 0);
	return v;
}

void sec_victim_check(const sec_victim *v)
{
	struct stat now;
	cr_assert_eq(lstat(v->path, &now), 0, "the victim %s is gone: %s", v->path, strerror(errno));
	cr_assert(S_ISREG(now.st_mode), "the victim was replaced");
	cr_assert_eq(now.st_size, v->before.st_size, "the victim's size changed: %lld bytes",
	             (long long)now.st_size);
	cr_assert(now.st_mtim.tv_sec == v->before.st_mtim.tv_sec &&
	                  now.st_mtim.tv_nsec == v->before.st_mtim.tv_nsec,
	          "the victim was written (mtime moved)");
	cr_assert_eq(now.st_ino, v->before.st_ino);
	char *text = cli_slurp(v->path);
	cr_assert(text && strcmp(text, "root's precious file\n") == 0, "the victim now holds: %s",
	          text ? text : "(unreadable)");
	free(text);
	DIR *d = opendir(v->dir);
	cr_assert(d);
	struct dirent *e;
	while ((e = readdir(d)))
		cr_assert(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		                  strcmp(e->d_name, "victim") == 0,
		          "\"%s\" appeared beside the victim", e->d_name);
	closedir(d);
}

/* JSON string body of `s` (quotes and backslashes escaped). */
static char *json_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 6 + 1), *o = out;
	cr_assert(out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			*o++ = '\\';
			*o++ = (char)ch;
		} else if (ch < 0x20) {
			o += sprintf(o, "\\u%04x", ch);
		} else {
			*o++ = (char)ch;
		}
	}
	*o = '\0';
	return out;
}

char *sec_json_args(const char *const *args)
{
	char *list = strdup(""), *next = NULL;
	cr_assert(list);
	for (size_t i = 0; args && args[i]; i++) {
		char *e = json_escape(args[i]);
		cr_assert(asprintf(&next, "%s%s\"%s\"", list, i ? ", " : "", e) > 0);
		free(e);
		free(list);
		list = next;
	}
	return list;
}

char *sec_job_named(const sec_env *env, const char *id, const char *task, const char *driver,
                    const char *extra, const char *command, const char *const *args)
{
	char *list = sec_json_args(args), *config = NULL;
	if (command)
		cr_assert(asprintf(&config, ",\n  \"Config\": {\"command\": \"%s\", \"args\": [%s]}",
		                   command, list) > 0);
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\", \"TaskGroups\": [{\n"
	                   " \"Name\": \"g\", \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},\n"
	                   " \"Tasks\": [{\"Name\": \"%s\", \"Driver\": \"%s\"%s%s,\n"
	                   "  \"KillTimeout\": 1000000000,\n"
	                   "  \"Resources\": {\"CPU\": 100, \"MemoryMB\": 64}%s}]}]}}\n",
	                   id, task, driver, extra ? ", " : "", extra ? extra : "",
	                   config ? config : "") > 0);
	free(list);
	free(config);
	char *file = NULL;
	cr_assert(asprintf(&file, "%s.json", id) > 0);
	char *path = cli_write_file(&env->cli, file, text);
	free(file);
	free(text);
	return path;
}

char *sec_job(const sec_env *env, const char *id, const char *driver, const char *extra,
              const char *command, const char *const *args)
{
	return sec_job_named(env, id, "t", driver, extra, command, args);
}

void sec_drover(const sec_env *env, sec_result *r, const char *cmd, const char *a1,
                const char *a2)
{
	const char *argv[] = { cmd, "-config", env->config, "-plugin-dir", plugin_dir(),
		               "-data-dir", env->data_dir, a1, a2, NULL };
	cli_run(r, SEC_DEADLINE_MS, argv);
}

void sec_run_detached(const sec_env *env, const char *job, char *id)
{
	sec_result r;
	sec_drover(env, &r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "run -detach: %s %s", r.out, r.err);
	const char *p = strstr(r.out, "==> Allocation \"");
	cr_assert(p, "no allocation printed: %s", r.out);
	snprintf(id, 37, "%s", p + strlen("==> Allocation \""));
	sec_result_clear(&r);
}

static int exists(void *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

void sec_wait_for(const sec_env *env, const char *id, const char *task, const char *name)
{
	char dir[600], path[700];
	snprintf(dir, sizeof(dir), "%s/alloc/%s/%s", env->data_dir, id, task);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert(test_wait_in_dir(dir, exists, path, SEC_DEADLINE_MS),
	          "the task never made %s: it failed before its attack", path);
}

void sec_release(const sec_env *env, const char *id, const char *task, const char *name)
{
	char path[700];
	struct stat st;
	snprintf(path, sizeof(path), "%s/alloc/%s/%s/%s", env->data_dir, id, task, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert(fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode));
	cr_assert_eq(write(fd, "go\n", 3), 3);
	close(fd);
}

void sec_expect_exit(const sec_env *env, const char *id, const char *needle)
{
	sec_result r;
	sec_drover(env, &r, "wait", id, NULL);
	cr_assert(strstr(r.out, needle), "drover wait: expected \"%s\"; stdout: %s stderr: %s",
	          needle, r.out, r.err);
	sec_result_clear(&r);
}

char *sec_task_log(const sec_env *env, const char *id, const char *task)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/alloc/%s/alloc/logs/%s.stdout.0", env->data_dir, id, task);
	return cli_slurp(path);
}

/* The pid and --state-dir of the drover-shim whose state dir ends in
 * "/<id>/<task>", as ps shows them. */
static int find_shim(const char *id, const char *task, char *state_dir, size_t len)
{
	char suffix[200];
	snprintf(suffix, sizeof(suffix), "/%s/%s", id, task);
	DIR *d = opendir("/proc");
	cr_assert(d);
	struct dirent *e;
	int found = 0;
	while (!found && (e = readdir(d))) {
		char path[300], buf[8192];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *a = buf; a < buf + n; a += strlen(a) + 1) {
			char *v = a + strlen(a) + 1;
			if (strcmp(a, "--state-dir") != 0 || v >= buf + n)
				continue;
			size_t vl = strlen(v), sl = strlen(suffix);
			if (vl > sl && strcmp(v + vl - sl, suffix) == 0 && strstr(buf, "drover-shim")) {
				snprintf(state_dir, len, "%s", v);
				found = atoi(e->d_name);
			}
			break;
		}
	}
	closedir(d);
	return found;
}

void sec_local_user_attacks_shim(const sec_env *env, const char *id, const char *task,
                                 const char *victim)
{
	char state[600], alloc_dir[600], script[4096];
	int shim = find_shim(id, task, state, sizeof(state));
	cr_assert_gt(shim, 0, "no drover-shim for %s/%s in /proc", id, task);
	snprintf(alloc_dir, sizeof(alloc_dir), "%s/alloc/%s/", env->data_dir, id);
	cr_assert(strncmp(state, alloc_dir, strlen(alloc_dir)) != 0,
	          "the shim's state dir \"%s\" is inside the allocation directory", state);
	/* Exactly the recipe, by a user who only has ps: plant the link
	 * under every name the shim writes, in its state dir and, for good
	 * measure, in the task dir it used to write to. */
	snprintf(script, sizeof(script),
	         "s='%1$s'; t='%2$s/alloc/%3$s/%4$s'; v='%5$s'; bad=0; "
	         "for n in .exit-status.%6$d.tmp .pids.%6$d.tmp exit-status pids; do "
	         "  if ln -s \"$v\" \"$s/$n\" 2>/dev/null; then echo \"PLANTED $s/$n\"; bad=1; fi; "
	         "  ln -s \"$v\" \"$t/$n.local-user\" 2>/dev/null; "
	         "done; "
	         "if ls \"$s\" >/dev/null 2>&1; then echo \"LISTED $s\"; bad=1; fi; "
	         "if cat \"$s/pids\" 2>/dev/null; then echo \"READ $s/pids\"; bad=1; fi; "
	         "exit $bad",
	         state, env->data_dir, id, task, victim, shim);
	sec_result r;
	sec_as_nobody(script, &r);
	cr_assert_eq(r.exit_code, 0, "a local user got into the shim's state dir: %s", r.out);
	sec_result_clear(&r);
}

void sec_as_nobody(const char *script, sec_result *r)
{
	char tmpl[] = "/tmp/drover-sec-out-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert(fd >= 0);
	unlink(tmpl);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/bin/setpriv", "setpriv", "--reuid=65534", "--regid=65534",
		      "--clear-groups", "/bin/sh", "-c", script, (char *)NULL);
		_exit(126);
	}
	int st = cli_wait(pid, SEC_DEADLINE_MS);
	cr_assert(st != -1, "the unprivileged command did not finish: %s", script);
	memset(r, 0, sizeof(*r));
	r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	off_t len = lseek(fd, 0, SEEK_END);
	r->out = calloc(1, (size_t)len + 1);
	r->err = strdup("");
	cr_assert(r->out && r->err);
	cr_assert_eq(pread(fd, r->out, (size_t)len, 0), len);
	close(fd);
	cr_assert_neq(r->exit_code, 126, "setpriv could not run: %s", r->out);
}

int sec_dir_empty_or_missing(const sec_env *env, const char *sub)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", env->data_dir, sub);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

void sec_assert_mode(const char *dir, const char *name, unsigned mode)
{
	char path[700];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_mode & 07777, mode, "%s has mode %04o, not %04o", path,
	             st.st_mode & 07777, mode);
}

int sec_docker_usable(void)
{
	return system("docker info >/dev/null 2>&1") == 0;
}

/* A busybox root filesystem imported as "drover-sec-host/busybox:p<pid>":
 * built here, from the host's busybox-static, never pulled. */
int sec_docker_image(sec_env *env)
{
	char cmd[2048];
	snprintf(env->image, sizeof(env->image), "drover-sec-host/busybox:p%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
	         "docker image inspect %1$s >/dev/null 2>&1 && exit 0; "
	         "set -e; d=$(mktemp -d); mkdir -p $d/bin $d/alloc; cp /bin/busybox $d/bin/busybox; "
	         "for a in sh ln head tr echo cat ls id; do ln -s busybox $d/bin/$a; done; "
	         "tar -C $d -cf $d.tar . ; docker import $d.tar %1$s >/dev/null; rm -rf $d $d.tar",
	         env->image);
	return system(cmd) == 0;
}
