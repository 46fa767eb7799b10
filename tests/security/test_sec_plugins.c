/* Attacks 4, 5 and 7 of issue 11, performed exactly as found, from inside a
 * real exec task and real containers started by the real `drover run`
 * (plugins from the installed-layout plugin directory, drover-shim,
 * drover-exec-init, dockerd), each asserting that it now fails.
 *
 *  4. An exec task makes device nodes in its tmp/ (the hardware RNG, the
 *     host's disk), which any local user could then open through the task
 *     directory.
 *  5. A container replaces its bound directory local/esc with a symlink to
 *     /etc and exits; on the restart dockerd would bind the host's /etc.
 *  7. A container gets the operator's SHELL, HOME, PWD and PATH.
 * And the decision that alloc/logs is read-only in a container.
 *
 * Needs root, cgroups and dockerd (skips say which, and fail under
 * DROVER_TEST_STRICT=1). The image is built locally (busybox-static), as
 * tests/integration/test_docker.c builds its own; nothing is pulled. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tests/integration/cli_harness.h"
#include "tests/test_support.h"

#define DEADLINE_MS 90000

static cli_env env;
static char image[128];

static void setup(void)
{
	cli_env_setup(&env);
	/* drover's docker plugin finds its log follower like the shim. */
	setenv("DROVER_DOCKER_LOGGER", DROVER_TEST_DOCKER_LOGGER, 1);
}

static void teardown(void)
{
	char cmd[256];

	if (image[0]) {
		snprintf(cmd, sizeof(cmd), "docker rmi -f %s >/dev/null 2>&1", image);
		if (system(cmd) != 0) {
			/* Left for the next run's builder to reuse or remove. */
		}
	}
	cli_env_teardown(&env);
}

TestSuite(sec_plugins, .init = setup, .fini = teardown, .timeout = 180);

static int docker_usable(void)
{
	return system("docker version >/dev/null 2>&1") == 0;
}

/* A busybox-static image of this test process, with the PATH an image sets
 * (docker import --change): "drover-test/sec-busybox:p<pid>". */
static const char *build_image(void)
{
	char cmd[1024];

	snprintf(image, sizeof(image), "drover-test/sec-busybox:p%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
	         "set -e; d=$(mktemp -d); mkdir -p $d/bin $d/etc; cp /bin/busybox $d/bin/busybox; "
	         "for a in sh env cat ls ln rmdir touch echo; do ln -s busybox $d/bin/$a; done; "
	         "tar -C $d -cf $d.tar . ; "
	         "docker import --change 'ENV PATH=/bin:/sbin' $d.tar %s >/dev/null; "
	         "rm -rf $d $d.tar",
	         image);
	cr_assert_eq(system(cmd), 0, "cannot build the test image %s", image);
	return image;
}

static char *slurp_alloc(const char *rel)
{
	char *path = cli_alloc_path(&env, rel), *text = cli_slurp(path);
	cr_assert_not_null(text, "cannot read %s", path);
	free(path);
	return text;
}

Test(sec_plugins, exec_task_cannot_make_device_nodes_in_its_tmp)
{
	char *job, *config, *out, *errs, *node;
	struct stat st;
	cli_result r;

	drover_test_require_exec();
	config = cli_write_exec_agent_config(&env, NULL);
	/* The attack as found: mknod in tmp/ and chmod 666, with the default
	 * allow_caps (mknod among them). Then what must still work, and the
	 * mount options of the task-writable places. */
	job = cli_write_file(&env, "exec.json",
	                     "{\"Job\": {\"ID\": \"dev\", \"Name\": \"dev\", \"Type\": \"batch\",\n"
	                     " \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\n"
	                     "   \"Name\": \"t\", \"Driver\": \"exec\",\n"
	                     "   \"RestartPolicy\": {\"Attempts\": 0},\n"
	                     "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", "
	                     "\"mknod /tmp/rng c 10 183 && chmod 666 /tmp/rng; echo rng=$?; "
	                     "mknod /tmp/disk b 254 0; echo disk=$?; "
	                     "echo x > /dev/null && echo null=ok; "
	                     "grep devices /proc/self/cgroup; "
	                     "awk '$5==\\\"/\\\"||$5==\\\"/alloc\\\"||$5==\\\"/secrets\\\" "
	                     "{print \\\"mnt\\\", $5, $6}' /proc/self/mountinfo\"]}\n"
	                     " }]}]}}\n");
	cli_run_job(&r, DEADLINE_MS, &env, config, job);
	cr_assert(strstr(r.out, "Exit Code: 0"), "stdout: %s stderr: %s", r.out, r.err);
	out = slurp_alloc("alloc/logs/t.stdout.0");
	errs = slurp_alloc("alloc/logs/t.stderr.0");
	cr_expect(strstr(out, "rng=1"), "mknod c 10 183 was not refused: %s / %s", out, errs);
	cr_expect(strstr(out, "disk=1"), "mknod b 254 0 was not refused: %s / %s", out, errs);
	cr_expect(strstr(errs, "Operation not permitted"), "stderr: %s", errs);
	cr_expect(strstr(out, "null=ok"), "/dev/null is not usable: %s / %s", out, errs);
	/* On a v1 host the task is in its own devices cgroup. */
	if (access("/sys/fs/cgroup/devices/devices.list", F_OK) == 0)
		cr_expect(strstr(out, "devices:/drover/"), "not in a devices cgroup: %s", out);
	/* Task-writable mounts are nodev,nosuid in the task's view. */
	for (const char *p = out; (p = strstr(p, "mnt ")); p++) {
		const char *eol = strchr(p, '\n');
		char line[256];
		snprintf(line, sizeof(line), "%.*s", eol ? (int)(eol - p) : (int)strlen(p), p);
		cr_expect(strstr(line, "nodev") && strstr(line, "nosuid"), "%s", line);
	}
	cr_expect(strstr(out, "mnt / "), "no mount line for /: %s", out);
	/* Nothing for a host user to open in the task directory. */
	node = cli_alloc_path(&env, "t/tmp/rng");
	cr_expect_neq(lstat(node, &st), 0, "%s exists", node);
	free(node);
	node = cli_alloc_path(&env, "t/tmp/disk");
	cr_expect_neq(lstat(node, &st), 0, "%s exists", node);
	free(node);
	free(out);
	free(errs);
	cli_result_clear(&r);
	free(job);
	free(config);
}

Test(sec_plugins, docker_volume_swapped_for_a_symlink_is_refused_on_restart)
{
	char *job, *config, *out, *shadow, *esc, text[2048];
	struct stat st;
	cli_result r;

	drover_test_require(geteuid() == 0, "reading /etc/shadow to compare needs root");
	drover_test_require(docker_usable(), "dockerd is not reachable");
	shadow = cli_slurp("/etc/shadow");
	cr_assert(shadow && strstr(shadow, "root:"), "/etc/shadow has no root line to look for");
	build_image();
	/* Volumes disabled (the default): local/esc passes as inside the
	 * allocation directory. */
	config = cli_write_file(&env, "agent.json", "{}\n");
	snprintf(text, sizeof(text),
	         "{\"Job\": {\"ID\": \"esc\", \"Name\": \"esc\", \"Type\": \"batch\",\n"
	         " \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\n"
	         "   \"Name\": \"t\", \"Driver\": \"docker\",\n"
	         "   \"RestartPolicy\": {\"Attempts\": 1, \"Delay\": 100000000, \"Mode\": \"fail\"},\n"
	         "   \"Config\": {\"image\": \"%s\", \"volumes\": [\"local/esc:/mnt\"],\n"
	         "     \"command\": \"sh\", \"args\": [\"-c\", "
	         "\"if [ -e /local/ran ]; then echo RUN2; cat /mnt/shadow; exit 0; fi; "
	         "touch /local/ran; ls -d /mnt && echo RUN1; "
	         "touch /alloc/logs/planted 2>/dev/null && echo LOGS_WRITABLE || echo LOGS_RO; "
	         "rmdir /local/esc && ln -s /etc /local/esc; exit 3\"]}\n"
	         " }]}]}}\n",
	         image);
	job = cli_write_file(&env, "docker.json", text);
	cli_run_job(&r, DEADLINE_MS, &env, config, job);
	/* Run 1 happened, with the bind, and planted the link. */
	out = slurp_alloc("alloc/logs/t.stdout.0");
	cr_assert(strstr(out, "RUN1"), "run 1 did not run: %s\n%s\n%s", out, r.out, r.err);
	esc = cli_alloc_path(&env, "t/local/esc");
	cr_assert(lstat(esc, &st) == 0 && S_ISLNK(st.st_mode), "run 1 did not plant the link");
	/* alloc/logs is the logger's: read-only in the container. */
	cr_expect(strstr(out, "LOGS_RO") && !strstr(out, "LOGS_WRITABLE"),
	          "the container could write alloc/logs: %s", out);
	/* The restart is refused, naming the field and the symlink. */
	cr_assert(strstr(r.out, "Restarting"), "no restart: %s %s", r.out, r.err);
	cr_expect(strstr(r.out, "volumes[0]") && strstr(r.out, "symlink"),
	          "the refusal does not name volumes[0] and the symlink: %s %s", r.out, r.err);
	cr_expect_neq(r.exit_code, 0, "drover run reported success: %s", r.out);
	/* And no container ever saw the host's /etc. */
	cr_expect_null(strstr(out, "RUN2"), "run 2 started: %s", out);
	cr_expect_null(strstr(out, "root:"), "the container printed /etc/shadow: %s", out);
	free(esc);
	free(out);
	free(shadow);
	cli_result_clear(&r);
	free(job);
	free(config);
}

Test(sec_plugins, docker_container_gets_the_task_environment_not_the_hosts)
{
	char *job, *config, *out, text[1024];
	cli_result r;

	drover_test_require(docker_usable(), "dockerd is not reachable");
	build_image();
	/* The operator's environment, made recognisable. */
	setenv("SHELL", "/sec-test/shell", 1);
	setenv("HOME", "/sec-test/home", 1);
	setenv("PWD", "/sec-test/pwd", 1);
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin:/sec-test/bin", 1);
	config = cli_write_file(&env, "agent.json", "{}\n");
	snprintf(text, sizeof(text),
	         "{\"Job\": {\"ID\": \"envj\", \"Name\": \"envj\", \"Type\": \"batch\",\n"
	         " \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\n"
	         "   \"Name\": \"t\", \"Driver\": \"docker\",\n"
	         "   \"RestartPolicy\": {\"Attempts\": 0},\n"
	         "   \"Env\": {\"MINE\": \"job-set\"},\n"
	         "   \"Config\": {\"image\": \"%s\", \"command\": \"env\"}\n"
	         " }]}]}}\n",
	         image);
	job = cli_write_file(&env, "env.json", text);
	cli_run_job(&r, DEADLINE_MS, &env, config, job);
	cr_assert(strstr(r.out, "Exit Code: 0"), "stdout: %s stderr: %s", r.out, r.err);
	out = slurp_alloc("alloc/logs/t.stdout.0");
	cr_expect(strstr(out, "\nPATH=/bin:/sbin\n") || strncmp(out, "PATH=/bin:/sbin\n", 16) == 0,
	          "PATH is not the image's: %s", out);
	cr_expect_null(strstr(out, "sec-test"), "the host's environment leaked: %s", out);
	cr_expect_null(strstr(out, "SHELL="), "SHELL leaked: %s", out);
	cr_expect_null(strstr(out, "PWD="), "PWD leaked: %s", out);
	cr_expect(strstr(out, "MINE=job-set"), "the task's Env is missing: %s", out);
	cr_expect(strstr(out, "NOMAD_TASK_NAME=t"), "the NOMAD_* variables are missing: %s", out);
	free(out);
	cli_result_clear(&r);
	free(job);
	free(config);
}
