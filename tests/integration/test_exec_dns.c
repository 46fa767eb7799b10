/* The group network's DNS block, Hostname and hosts file in exec tasks
 * (Nomad's TestExec_dnsConfig, and its docker driver's /etc/hosts): the exec
 * plugin loaded with dlopen, real namespaces, mounts and cgroups; the tasks
 * cat their own /etc/resolv.conf and /etc/hosts. And the resolv.conf and
 * hosts texts themselves (plugin_resolv.h, plugin_hosts.h), which need no
 * root. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <drover/driver.h>

#include "plugin_fixture.h"
#include "plugin_hosts.h"
#include "plugin_resolv.h"
#include "proc.h"
#include "test_support.h"
#include "test_wait.h"

static struct {
	plugin_fixture_dirs dirs;
	char netns[320]; /* a namespace file the test made, "" when none */
	void *so;
	const drover_driver *drv;
	drover_host host;
	plugin_fixture_chroot chroot; /* client.chroot_env */
} fx;

static const drover_value *test_agent_config(void *host_data, const char *path)
{
	(void)host_data;
	return strcmp(path, "client.chroot_env") == 0 ? &fx.chroot.obj : NULL;
}

/* client.chroot_env: these host directories, each at its own path. */
static void set_chroot(const char *const *dirs)
{
	plugin_fixture_chroot_set(&fx.chroot, dirs, NULL, NULL);
}

static const char *const with_etc[] = { "/bin", "/etc", "/lib", "/lib64", "/usr", NULL };

static void setup(void)
{
	plugin_fixture_dirs_name(&fx.dirs, "/tmp/drover-test-exec-dns.XXXXXX");
	/* As host/allocdir.c lays it out: the task directory is the task's. */
	plugin_fixture_dirs_make_exec(&fx.dirs, 0777);
	set_chroot(with_etc);
	fx.netns[0] = '\0';

	setenv("DROVER_EXEC_INIT", DROVER_TEST_EXEC_INIT, 1);
	fx.drv = plugin_fixture_load_supervised(EXEC_SO, DROVER_TEST_SHIM, &fx.so);
	plugin_fixture_host(&fx.host, plugin_fixture_quiet_log, test_agent_config);
}

static void teardown(void)
{
	if (fx.netns[0])
		umount2(fx.netns, MNT_DETACH);
	if (fx.so)
		dlclose(fx.so);
	test_rm_tree(fx.dirs.root);
}

TestSuite(exec_dns, .init = setup, .fini = teardown, .timeout = 90);

static void *instance(void)
{
	drover_value config;
	drover_err err = { "" };
	void *ctx = NULL;

	memset(&config, 0, sizeof(config));
	config.type = DROVER_VALUE_OBJECT;
	cr_assert_eq(plugin_fixture_configure(fx.drv, &fx.host, &config, &ctx, &err), 0,
	             "set_config: %s", err.message);
	return ctx;
}

typedef plugin_fixture_block task_block;

/* `sh -c script` as the task's config block. */
static void task_block_sh(task_block *b, const char *script)
{
	const char *const args[] = { "-c", script, NULL };
	plugin_fixture_block_init(b, "/bin/sh", args);
}

static drover_task_config task_config(const task_block *b, const drover_network *net)
{
	drover_task_config cfg = plugin_fixture_task_config(&fx.dirs, &b->obj);

	cfg.network = net;
	return cfg;
}

static char *log_of(const char *stream)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/web.%s.0", fx.dirs.log_dir, stream);
	return plugin_fixture_read_file(path);
}

/* Runs `script` as the task to its end under `net`; its stdout. */
static char *run_task(const char *script, const drover_network *net)
{
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx = instance();
	char *out, *err, path[PATH_MAX];

	/* Each run's own output: the logs of an earlier run go first. */
	snprintf(path, sizeof(path), "%s/web.stdout.0", fx.dirs.log_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/web.stderr.0", fx.dirs.log_dir);
	unlink(path);
	task_block_sh(&b, script);
	cfg = task_config(&b, net);
	t = plugin_fixture_start(fx.drv, ctx, &cfg, NULL);
	res = plugin_fixture_wait(fx.drv, ctx, t);
	out = log_of("stdout");
	err = log_of("stderr");
	cr_assert_eq(res.exit_code, 0, "task exit %d signal %d; stderr: %s", res.exit_code,
	             res.signal, err ? err : "");
	free(err);
	plugin_fixture_destroy(fx.drv, ctx, t);
	fx.drv->fini(ctx);
	cr_assert_not_null(out);
	return out;
}

/* start that must fail; its message. */
static void start_fails(const char *script, const drover_network *net, char *msg, size_t len)
{
	drover_task_config cfg;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_task *t = NULL;
	task_block b;
	void *ctx = instance();

	task_block_sh(&b, script);
	cfg = task_config(&b, net);
	cr_assert_lt(fx.drv->start(ctx, &cfg, &t, &h, &err), 0, "start succeeded");
	snprintf(msg, len, "%s", err.message);
	fx.drv->fini(ctx);
}

static char *host_resolv(void)
{
	char *s = plugin_fixture_read_file("/etc/resolv.conf");
	return s ? s : strdup("");
}

/* ------------------------------------------------------------ the text */

static char *render(const drover_network *n, const char *host_text)
{
	char path[] = "/tmp/drover-test-resolv.XXXXXX";
	drover_err err = { "" };
	char *out = NULL;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, host_text, strlen(host_text)), (ssize_t)strlen(host_text));
	close(fd);
	cr_assert_eq(plugin_resolv_render(n, path, &out, &err), 0, "render: %s", err.message);
	unlink(path);
	return out;
}

static const char host_text[] = "# generated\nsearch host.example other.example\n"
                                "nameserver 10.0.0.2\nnameserver fe80::1%eth0\n"
                                "nameserver not-an-ip\noptions ndots:3 ; comment\n"
                                "options timeout:1\n";

Test(exec_dns, the_block_replaces_each_list_it_gives_and_the_host_fills_the_rest)
{
	static const char *const servers[] = { "1.1.1.1", "2606:4700::1111", NULL };
	static const char *const searches[] = { "local.test", "node.consul", NULL };
	static const char *const options[] = { "ndots:2", "edns0", NULL };
	static const char *const none[] = { NULL };
	drover_network n = plugin_fixture_network("host", servers, searches, options);
	char *s;

	s = render(&n, host_text);
	cr_assert_str_eq(s, "search local.test node.consul\nnameserver 1.1.1.1\n"
	                    "nameserver 2606:4700::1111\noptions ndots:2 edns0\n");
	free(s);
	/* Servers only: searches and options are the host's (its last line of
	 * each), as Nomad's GenerateDNSMount does. */
	n = plugin_fixture_network("host", servers, none, none);
	s = render(&n, host_text);
	cr_assert_str_eq(s, "search host.example other.example\nnameserver 1.1.1.1\n"
	                    "nameserver 2606:4700::1111\noptions timeout:1\n");
	free(s);
	/* Options only: the host's nameservers that are addresses. */
	n = plugin_fixture_network("host", none, none, options);
	s = render(&n, host_text);
	cr_assert_str_eq(s, "search host.example other.example\nnameserver 10.0.0.2\n"
	                    "nameserver fe80::1%eth0\noptions ndots:2 edns0\n");
	free(s);
	/* An empty block: the host's file as it is (Nomad's copySystemDNS). */
	n = plugin_fixture_network("host", none, none, none);
	s = render(&n, host_text);
	cr_assert_str_eq(s, host_text);
	free(s);
}

Test(exec_dns, an_entry_that_would_add_a_line_or_a_word_is_refused_naming_it)
{
	static const char *const bad_server[] = { "1.1.1.1", "example.com", NULL };
	static const char *const bad_search[] = { "a.test\nnameserver 6.6.6.6", NULL };
	static const char *const bad_option[] = { "ndots:1 rotate", NULL };
	static const char *const ok[] = { "1.1.1.1", NULL };
	drover_err err = { "" };
	drover_network n;
	char *out = NULL;

	n = plugin_fixture_network("host", bad_server, NULL, NULL);
	cr_assert_eq(plugin_resolv_render(&n, "/dev/null", &out, &err), -EINVAL);
	cr_assert_not_null(strstr(err.message, "\"servers\"[1] \"example.com\""), "%s", err.message);
	n = plugin_fixture_network("host", ok, bad_search, NULL);
	cr_assert_eq(plugin_resolv_render(&n, "/dev/null", &out, &err), -EINVAL);
	cr_assert_not_null(strstr(err.message, "\"searches\"[0]"), "%s", err.message);
	n = plugin_fixture_network("host", ok, NULL, bad_option);
	cr_assert_eq(plugin_resolv_render(&n, "/dev/null", &out, &err), -EINVAL);
	cr_assert_not_null(strstr(err.message, "\"options\"[0]"), "%s", err.message);
	cr_assert_null(out);
}

/* ------------------------------------------------------- in exec tasks */

static const char *const servers[] = { "1.1.1.1", "1.0.0.1", NULL };
static const char *const searches[] = { "local.test", "node.consul", NULL };
static const char *const options[] = { "ndots:2", "edns0", NULL };

Test(exec_dns, servers_searches_and_options_are_in_the_tasks_resolv_conf)
{
	drover_network n = plugin_fixture_network("host", servers, searches, options);
	char *out;
	struct stat st;
	char path[400];

	drover_test_require_exec();
	/* The task runs as nobody: it reads the file through the bind, although
	 * the state directory holding it is root's 0700. Writing it fails. */
	out = run_task("cat /etc/resolv.conf; id -u; echo x >> /etc/resolv.conf || echo ro", &n);
	cr_assert_str_eq(out, "search local.test node.consul\nnameserver 1.1.1.1\n"
	                      "nameserver 1.0.0.1\noptions ndots:2 edns0\n65534\nro\n");
	free(out);
	/* It lives in the state directory, not in the task's. */
	snprintf(path, sizeof(path), "%s/resolv.conf", fx.dirs.state_dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	snprintf(path, sizeof(path), "%s/resolv.conf", fx.dirs.task_dir);
	cr_assert_eq(lstat(path, &st), -1, "a resolv.conf appeared in the task directory");
}

Test(exec_dns, without_a_dns_block_the_task_sees_the_hosts_resolv_conf)
{
	drover_network n = plugin_fixture_network("host", NULL, NULL, NULL);
	char *out, *host = host_resolv(), path[400];
	struct stat st;

	drover_test_require_exec();
	out = run_task("cat /etc/resolv.conf", &n);
	cr_assert_str_eq(out, host);
	free(out);
	snprintf(path, sizeof(path), "%s/resolv.conf", fx.dirs.state_dir);
	cr_assert_eq(stat(path, &st), -1, "a resolv.conf was written without a DNS block");
	free(host);
}

Test(exec_dns, an_empty_dns_block_gives_a_copy_of_the_hosts_resolv_conf)
{
	static const char *const none[] = { NULL };
	drover_network n = plugin_fixture_network("host", none, none, none);
	char *out, *host = host_resolv(), path[400];
	struct stat st;

	drover_test_require_exec();
	out = run_task("cat /etc/resolv.conf; grep -c resolv.conf /proc/self/mountinfo", &n);
	/* The copy is bound (one mount on /etc/resolv.conf), with the same text. */
	cr_assert_eq(strncmp(out, host, strlen(host)), 0, "%s", out);
	cr_assert_str_eq(out + strlen(host), "1\n");
	snprintf(path, sizeof(path), "%s/resolv.conf", fx.dirs.state_dir);
	cr_assert_eq(stat(path, &st), 0);
	free(out);
	free(host);
}

/* A root-owned file the task tries to have root write through a link. */
static void make_victim(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/victim", fx.dirs.root);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "untouched\n", 10), 10);
	close(fd);
}

Test(exec_dns, links_planted_where_a_resolv_conf_might_go_redirect_nothing)
{
	static const char *const no_etc[] = { "/bin", "/lib", "/lib64", "/usr", NULL };
	drover_network n = plugin_fixture_network("host", servers, searches, options);
	char victim[400], link[400], *out, *v;

	drover_test_require_exec();
	make_victim(victim, sizeof(victim));
	/* Where Nomad writes it (the task directory), and, with no /etc in
	 * chroot_env, at the very name the mount goes on. */
	snprintf(link, sizeof(link), "%s/resolv.conf", fx.dirs.task_dir);
	cr_assert_eq(symlink(victim, link), 0);
	set_chroot(no_etc);
	snprintf(link, sizeof(link), "%s/etc", fx.dirs.task_dir);
	plugin_fixture_mkdir_mode(link, 0777);
	snprintf(link, sizeof(link), "%s/etc/resolv.conf", fx.dirs.task_dir);
	cr_assert_eq(symlink(victim, link), 0);
	out = run_task("cat /etc/resolv.conf", &n);
	cr_assert_str_eq(out, "search local.test node.consul\nnameserver 1.1.1.1\n"
	                      "nameserver 1.0.0.1\noptions ndots:2 edns0\n");
	free(out);
	v = plugin_fixture_read_file(victim);
	cr_assert_str_eq(v, "untouched\n");
	free(v);
	/* A state directory someone else could write is refused, not written. */
	cr_assert_eq(chmod(fx.dirs.state_dir, 0777), 0);
	{
		char msg[DROVER_ERR_MESSAGE_MAX];
		start_fails("true", &n, msg, sizeof(msg));
		cr_assert_not_null(strstr(msg, "is not this process's own"), "%s", msg);
	}
	cr_assert_eq(chmod(fx.dirs.state_dir, 0700), 0);
}

/* A network namespace file like the host's (a bind of a namespace the test
 * made), so the task has a group namespace to join in bridge mode. */
static void make_netns(void)
{
	char ns[64];
	int p[2], fd;
	pid_t pid;
	char c;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "unshare(CLONE_NEWNET) failed");
	close(p[0]);
	snprintf(fx.netns, sizeof(fx.netns), "%s/netns", fx.dirs.root);
	fd = open(fx.netns, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
	cr_assert_eq(mount(ns, fx.netns, NULL, MS_BIND, NULL), 0, "bind %s: %s", ns,
	             strerror(errno));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static char *host_name(void)
{
	char buf[128];
	cr_assert_eq(gethostname(buf, sizeof(buf)), 0);
	return strdup(buf);
}

Test(exec_dns, hostname_is_the_tasks_own_in_bridge_mode_and_the_hosts_in_host_mode)
{
	drover_network n = plugin_fixture_network("bridge", servers, NULL, NULL);
	char *out, *host = host_name(), want[256];

	drover_test_require_exec();
	make_netns();
	n.netns_path = fx.netns;
	n.hostname = "web-1.service.test";
	out = run_task("uname -n; grep ^nameserver /etc/resolv.conf", &n);
	cr_assert_str_eq(out, "web-1.service.test\nnameserver 1.1.1.1\nnameserver 1.0.0.1\n");
	free(out);
	/* The host's own name is left alone. */
	{
		char *now = host_name();
		cr_assert_str_eq(now, host);
		free(now);
	}

	/* In host mode the task shares the host's network and its name. */
	n = plugin_fixture_network("host", NULL, NULL, NULL);
	n.hostname = "ignored.test";
	out = run_task("uname -n", &n);
	snprintf(want, sizeof(want), "%s\n", host);
	cr_assert_str_eq(out, want);
	free(out);
	free(host);
}

static int stdout_has_ready(void *arg)
{
	char *s = log_of("stdout");
	int found = s && strstr(s, "ready");
	(void)arg;
	free(s);
	return found;
}

/* As Nomad's TestExec_dnsConfig: `cat /etc/resolv.conf` through the
 * driver's exec, which enters the task's namespaces (its UTS one included). */
Test(exec_dns, exec_in_the_task_sees_its_resolv_conf_and_hostname)
{
	static const char *const cmd[] = { "/bin/sh", "-c", "cat /etc/resolv.conf; uname -n",
		                           NULL };
	drover_network n = plugin_fixture_network("bridge", servers, searches, options);
	drover_task_config cfg;
	drover_err err = { "" };
	drover_task *t;
	task_block b;
	void *ctx;
	char *out;
	int code = -1;

	drover_test_require_exec();
	make_netns();
	n.netns_path = fx.netns;
	n.hostname = "dns-task";
	ctx = instance();
	task_block_sh(&b, "echo ready; exec sleep 600");
	cfg = task_config(&b, &n);
	t = plugin_fixture_start(fx.drv, ctx, &cfg, NULL);
	cr_assert(test_wait_in_dir(fx.dirs.log_dir, stdout_has_ready, NULL, 20000),
	          "the task did not start");
	out = plugin_fixture_exec_capture(fx.drv, ctx, t, fx.dirs.root, cmd, &code);
	cr_assert_eq(code, 0, "%s", out);
	cr_assert_str_eq(out, "search local.test node.consul\nnameserver 1.1.1.1\n"
	                      "nameserver 1.0.0.1\noptions ndots:2 edns0\ndns-task\n");
	free(out);
	cr_assert_eq(fx.drv->stop(ctx, t, SIGKILL, 0, &err), 0, "stop: %s", err.message);
	plugin_fixture_wait(fx.drv, ctx, t);
	plugin_fixture_destroy(fx.drv, ctx, t);
	fx.drv->fini(ctx);
}

/* ------------------------------------------------------ the hosts file */

#define HOSTS_HEAD "# this file was generated by drover\n127.0.0.1 localhost\n::1 localhost\n" \
	"::1 ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\nff00::0 ip6-mcastprefix\n"     \
	"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\nff02::3 ip6-allhosts\n\n"               \
	"# this entry is the IP address and hostname of the allocation\n"                     \
	"# shared with tasks in the task group's network\n"

Test(exec_dns, hosts_text_has_localhost_the_allocation_and_the_extra_hosts)
{
	static const char *const extra[] = { "apple:192.168.1.2",
		                             "banana:2001:0db8:85a3:0000:0000:8a2e:0370:7334", NULL };
	drover_err err = { "" };
	char *out = NULL;

	cr_assert_eq(plugin_hosts_render("192.168.1.1", "xyzzy", NULL, "f", &out, &err), 0, "%s",
	             err.message);
	cr_assert_str_eq(out, HOSTS_HEAD "192.168.1.1 xyzzy\n");
	free(out);
	/* "host:IP" split at the first ':', so that the IP may be IPv6. */
	cr_assert_eq(plugin_hosts_render("192.168.1.1", "xyzzy", extra, "f", &out, &err), 0, "%s",
	             err.message);
	cr_assert_str_eq(out, HOSTS_HEAD "192.168.1.1 xyzzy\n\n"
	                      "# these entries are extra hosts added by the task config\n"
	                      "192.168.1.2 apple\n"
	                      "2001:0db8:85a3:0000:0000:8a2e:0370:7334 banana\n");
	free(out);
}

Test(exec_dns, hosts_entries_that_would_add_a_line_or_a_name_are_refused_naming_the_field)
{
	static const struct {
		const char *entry, *want;
	} cases[] = {
		{ "apple192.168.1.2", "F[0] \"apple192.168.1.2\" is not \"host:IP\"" },
		{ "apple:192.168.1.256", "F[0] \"apple:192.168.1.256\": \"192.168.1.256\" is not an IP" },
		{ "apple:host-gateway", "is not an IP" },
		{ ":10.0.0.1", "is not \"host:IP\"" },
		{ "two names:10.0.0.1", "is not \"host:IP\"" },
		{ "evil\n6.6.6.6 bank:10.0.0.1", "is not \"host:IP\"" },
		{ "apple:10.0.0.1\n6.6.6.6 bank", "is not an IP" },
		{ "#comment:10.0.0.1", "is not \"host:IP\"" },
	};
	drover_err err = { "" };
	char *out = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *extra[] = { cases[i].entry, NULL };
		cr_assert_eq(plugin_hosts_render("10.0.0.2", "web", extra, "F", &out, &err), -EINVAL,
		             "case %zu accepted", i);
		cr_assert_not_null(strstr(err.message, cases[i].want), "case %zu: %s", i, err.message);
		cr_assert_null(out);
	}
	/* The network's own values are checked too. */
	cr_assert_eq(plugin_hosts_render("10.0.0.2", "web\n6.6.6.6 bank", NULL, "F", &out, &err),
	             -EINVAL);
	cr_assert_not_null(strstr(err.message, "\"Hostname\""), "%s", err.message);
	cr_assert_eq(plugin_hosts_render("10.0.0.2/24", "web", NULL, "F", &out, &err), -EINVAL);
	cr_assert_not_null(strstr(err.message, "address"), "%s", err.message);
	cr_assert_null(out);
}

#define ADDRESS "10.99.0.7"

/* The group network of a bridge-mode allocation, as the host hands it:
 * its namespace (the test's own), its address and its host name. */
static drover_network bridge_network(const char *hostname)
{
	drover_network n = plugin_fixture_network("bridge", NULL, NULL, NULL);

	make_netns();
	n.netns_path = fx.netns;
	n.hostname = hostname;
	n.address = ADDRESS;
	return n;
}

Test(exec_dns, hosts_file_maps_the_allocation_address_to_the_hostname_in_bridge_mode)
{
	drover_network n;
	char *out, path[400];
	struct stat st;

	drover_test_require_exec();
	n = bridge_network("web-1.service.test");
	/* The task (nobody) reads it and resolves the name through it; the
	 * bind is read-only (a task running as root could not write it either)
	 * and writing fails. */
	out = run_task("cat /etc/hosts; echo --; getent hosts web-1.service.test | tr -s ' '; "
	               "grep ' /etc/hosts ' /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1; "
	               "echo x >> /etc/hosts || echo not-written",
	               &n);
	cr_assert_str_eq(out, HOSTS_HEAD ADDRESS " web-1.service.test\n--\n"
	                      ADDRESS " web-1.service.test\n"
	                      "ro\nnot-written\n");
	free(out);
	/* It lives in the state directory, 0644, and nowhere the task writes. */
	snprintf(path, sizeof(path), "%s/hosts", fx.dirs.state_dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(st.st_uid, 0);
	snprintf(path, sizeof(path), "%s/hosts", fx.dirs.task_dir);
	cr_assert_eq(lstat(path, &st), -1, "a hosts file appeared in the task directory");
	snprintf(path, sizeof(path), "%s/hosts", fx.dirs.alloc_dir);
	cr_assert_eq(lstat(path, &st), -1, "a hosts file appeared in the allocation directory");
}

Test(exec_dns, without_a_hostname_or_outside_a_bridge_the_task_keeps_its_roots_hosts_file)
{
	char *host = plugin_fixture_read_file("/etc/hosts"), *out, path[400];
	drover_network n;
	struct stat st;

	drover_test_require_exec();
	cr_assert_not_null(host);
	/* No Hostname: Nomad writes no hosts file, nor does drover. */
	n = bridge_network(NULL);
	out = run_task("cat /etc/hosts", &n);
	cr_assert_str_eq(out, host);
	free(out);
	/* Host mode, even with a name and an address: the host's network. */
	n = plugin_fixture_network("host", NULL, NULL, NULL);
	n.hostname = "web";
	n.address = ADDRESS;
	out = run_task("cat /etc/hosts", &n);
	cr_assert_str_eq(out, host);
	free(out);
	snprintf(path, sizeof(path), "%s/hosts", fx.dirs.state_dir);
	cr_assert_eq(stat(path, &st), -1, "a hosts file was written");
	free(host);
}

Test(exec_dns, links_planted_where_a_hosts_file_might_go_redirect_nothing)
{
	static const char *const no_etc[] = { "/bin", "/lib", "/lib64", "/usr", NULL };
	drover_network n;
	char victim[400], link[400], *out, *v;

	drover_test_require_exec();
	make_victim(victim, sizeof(victim));
	n = bridge_network("web");
	/* Where Nomad writes it (the allocation directory), in the task
	 * directory, and, with no /etc in chroot_env, at the very name the
	 * mount goes on. */
	snprintf(link, sizeof(link), "%s/hosts", fx.dirs.alloc_dir);
	cr_assert_eq(symlink(victim, link), 0);
	snprintf(link, sizeof(link), "%s/hosts", fx.dirs.task_dir);
	cr_assert_eq(symlink(victim, link), 0);
	set_chroot(no_etc);
	snprintf(link, sizeof(link), "%s/etc", fx.dirs.task_dir);
	plugin_fixture_mkdir_mode(link, 0777);
	snprintf(link, sizeof(link), "%s/etc/hosts", fx.dirs.task_dir);
	cr_assert_eq(symlink(victim, link), 0);
	out = run_task("cat /etc/hosts", &n);
	cr_assert_str_eq(out, HOSTS_HEAD ADDRESS " web\n");
	free(out);
	v = plugin_fixture_read_file(victim);
	cr_assert_str_eq(v, "untouched\n");
	free(v);
	/* The planted link is still there, under the mount: covered, not
	 * followed nor replaced. */
	{
		char target[400];
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		cr_assert_gt(len, 0, "the link at etc/hosts is gone");
		target[len] = '\0';
		cr_assert_str_eq(target, victim);
	}
}

Test(exec_dns, a_bad_hostname_for_the_hosts_file_is_refused_naming_it)
{
	drover_network n;
	char msg[DROVER_ERR_MESSAGE_MAX];

	drover_test_require_exec();
	n = bridge_network("web 6.6.6.6");
	start_fails("true", &n, msg, sizeof(msg));
	cr_assert_not_null(strstr(msg, "\"Hostname\""), "%s", msg);
	cr_assert_not_null(strstr(msg, "task \"web\""), "no task named: %s", msg);
}
