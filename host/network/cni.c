#include "config.h"

#include "cni.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../display.h"
#include "../json.h"
#include "../util.h"
#include "../value_tree.h"

#define CNI_OUTPUT_MAX (1 << 20)
#define CNI_STDERR_KEEP 400
#define CNI_DEFAULT_TIMEOUT_MS 60000

/* The plugin binary of `type` in the first directory of the CNI path that
 * has one. A type is a file name, never a path. */
static int find_plugin(const char *cni_path, const char *type, char *out, size_t len,
                       drover_err *err)
{
	if (!type || !type[0] || strchr(type, '/') || strcmp(type, ".") == 0 ||
	    strcmp(type, "..") == 0)
		return drover_err_set(err, -EINVAL, "CNI plugin type \"%s\" is not a file name",
		                      drover_display(type ? type : ""));
	const char *p = cni_path;
	while (p && *p) {
		size_t n = strcspn(p, ":");
		struct stat sb;
		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, type) < len &&
		    stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0)
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return drover_err_set(err, -ENOENT, "CNI plugin \"%s\" not found in client.cni_path \"%s\" "
	                      "(install the Debian package containernetworking-plugins, or set "
	                      "client.cni_path)", drover_display(type), drover_display(cni_path));
}

/* The configuration one plugin of the list reads on stdin. */
static int plugin_config(const drover_value *list, const drover_value *plugin,
                         const drover_value *prev, const drover_value *runtime, char **out,
                         size_t *out_len)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	int rc = 0;
	static const char *const inserted[] = {"cniVersion", "name", "prevResult", "runtimeConfig"};
	yajl_gen_map_open(g);
	for (size_t i = 0; i < 2; i++) {
		const drover_value *v = drover_value_get(list, inserted[i]);
		if (v) {
			yajl_gen_string(g, (const unsigned char *)inserted[i], strlen(inserted[i]));
			rc |= drover_json_gen_value(g, v);
		}
	}
	for (size_t i = 0; i < plugin->u.object.count; i++) {
		const char *key = plugin->u.object.keys[i];
		int skip = 0;
		for (size_t k = 0; k < 4; k++)
			skip |= strcmp(key, inserted[k]) == 0;
		if (skip)
			continue;
		yajl_gen_string(g, (const unsigned char *)key, strlen(key));
		rc |= drover_json_gen_value(g, &plugin->u.object.values[i]);
	}
	if (prev) {
		yajl_gen_string(g, (const unsigned char *)"prevResult", 10);
		rc |= drover_json_gen_value(g, prev);
	}
	/* Only the capabilities the plugin declares (SPEC.md, "Dynamic plugin
	 * specific fields"). */
	const drover_value *caps = drover_value_get(plugin, "capabilities");
	int opened = 0;
	for (size_t i = 0; runtime && caps && caps->type == DROVER_VALUE_OBJECT &&
	                   i < caps->u.object.count; i++) {
		const drover_value *want = &caps->u.object.values[i];
		const drover_value *have = drover_value_get(runtime, caps->u.object.keys[i]);
		if (want->type != DROVER_VALUE_BOOL || !want->u.boolean || !have)
			continue;
		if (!opened++) {
			yajl_gen_string(g, (const unsigned char *)"runtimeConfig", 13);
			yajl_gen_map_open(g);
		}
		yajl_gen_string(g, (const unsigned char *)caps->u.object.keys[i],
		                strlen(caps->u.object.keys[i]));
		rc |= drover_json_gen_value(g, have);
	}
	if (opened)
		yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (rc == 0 && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (*out = malloc(len + 1))) {
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		*out_len = len;
	} else {
		rc = rc ? -EINVAL : -ENOMEM;
	}
	yajl_gen_free(g);
	return rc;
}

typedef struct plugin_output {
	char *out;
	size_t out_len;
	char err_tail[CNI_STDERR_KEEP + 1];
	int status;
} plugin_output;

static int read_some(int fd, plugin_output *o, int is_err)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0)
		return 0;
	if (is_err) {
		/* Only the end of what a plugin logs: the reason is last. */
		size_t have = strlen(o->err_tail), add = (size_t)n > CNI_STDERR_KEEP ? CNI_STDERR_KEEP
		                                                                    : (size_t)n;
		if (have + add > CNI_STDERR_KEEP) {
			size_t drop = have + add - CNI_STDERR_KEEP;
			memmove(o->err_tail, o->err_tail + drop, have - drop + 1);
			have -= drop;
		}
		memcpy(o->err_tail + have, buf + (size_t)n - add, add);
		o->err_tail[have + add] = '\0';
		return 1;
	}
	if (o->out_len + (size_t)n > CNI_OUTPUT_MAX)
		return -EFBIG;
	char *grown = realloc(o->out, o->out_len + (size_t)n + 1);
	if (!grown)
		return -ENOMEM;
	o->out = grown;
	memcpy(o->out + o->out_len, buf, (size_t)n);
	o->out_len += (size_t)n;
	o->out[o->out_len] = '\0';
	return 1;
}

/* Runs one plugin to its end, or kills it at the deadline. */
static int run_plugin(const drover_cni_runtime *rt, const char *command, const char *binary,
                      const char *type, const char *conf, size_t conf_len, plugin_output *o,
                      drover_err *err)
{
	int in = -1, outp[2] = {-1, -1}, errp[2] = {-1, -1}, rc = 0;
	pid_t pid = -1;
	memset(o, 0, sizeof(*o));
	/* The configuration sits in a memory file: the plugin reads it at its
	 * own pace and no pipe can fill up while we wait for its output. */
	if ((in = memfd_create("drover-cni-config", MFD_CLOEXEC)) < 0 ||
	    write(in, conf, conf_len) != (ssize_t)conf_len || lseek(in, 0, SEEK_SET) < 0 ||
	    pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		rc = drover_err_set(err, -errno, "cannot prepare CNI plugin \"%s\": %s", type,
		                    strerror(errno));
		goto out;
	}
	char *env[8];
	size_t ne = 0;
	env[ne++] = drover_strdup_printf("CNI_COMMAND=%s", command);
	env[ne++] = drover_strdup_printf("CNI_CONTAINERID=%s", rt->container_id);
	env[ne++] = drover_strdup_printf("CNI_NETNS=%s", rt->netns_path);
	env[ne++] = drover_strdup_printf("CNI_IFNAME=%s", rt->ifname ? rt->ifname : "eth0");
	env[ne++] = drover_strdup_printf("CNI_PATH=%s", rt->cni_path);
	/* The plugins run iptables and friends. */
	env[ne++] = drover_strdup_printf("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[ne] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	char *argv[] = {(char *)binary, NULL};
	int ok = 1;
	for (size_t i = 0; i < ne; i++)
		ok &= env[i] != NULL;
	int sp = ok ? posix_spawn(&pid, binary, &fa, NULL, argv, env) : ENOMEM;
	posix_spawn_file_actions_destroy(&fa);
	for (size_t i = 0; i < ne; i++)
		free(env[i]);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (sp != 0) {
		pid = -1;
		rc = drover_err_set(err, -sp, "cannot run CNI plugin \"%s\": %s", binary, strerror(sp));
		goto out;
	}
	long long timeout = rt->timeout_ms > 0 ? rt->timeout_ms : CNI_DEFAULT_TIMEOUT_MS;
	long long deadline = drover_monotonic_ms() + timeout;
	struct pollfd p[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		long long left = deadline - drover_monotonic_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = drover_err_set(err, -ETIMEDOUT, "CNI plugin \"%s\" %s did not finish within "
			                    "%lld ms and was killed", type, command, timeout);
			break;
		}
		int n = poll(p, 2, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; n > 0 && i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			int r = read_some(p[i].fd, o, i == 1);
			if (r < 0) {
				kill(pid, SIGKILL);
				rc = drover_err_set(err, r, "reading CNI plugin \"%s\" output: %s", type,
				                    strerror(-r));
			}
			if (r <= 0)
				p[i].fd = -1;
		}
		if (rc < 0)
			break;
	}
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
out:
	if (in >= 0)
		close(in);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return rc;
}

/* A failed plugin's error object (SPEC.md, "Error"), shown as it said it,
 * escaped: its text reaches terminals and the state store. */
static int plugin_failed(const char *type, const char *command, const plugin_output *o,
                         drover_err *err)
{
	drover_value v = {.type = DROVER_VALUE_NULL};
	drover_err ignored = {{0}};
	char msg[DROVER_ERR_MESSAGE_MAX], details[DROVER_ERR_MESSAGE_MAX], tail[DROVER_ERR_MESSAGE_MAX];
	int rc;
	if (o->out && drover_json_parse("CNI error", o->out, o->out_len, &v, &ignored) == 0 &&
	    drover_value_get_string(&v, "msg", NULL)) {
		const char *d = drover_value_get_string(&v, "details", "");
		drover_display_escape(msg, sizeof(msg), drover_value_get_string(&v, "msg", ""), 400, 0);
		drover_display_escape(details, sizeof(details), d, 300, 0);
		rc = drover_err_set(err, -EIO, "CNI plugin \"%s\" %s failed: %s%s%s (code %lld)", type,
		                    command, msg, d[0] ? ": " : "", details,
		                    drover_value_get_int(&v, "code", 0));
	} else {
		drover_display_escape(tail, sizeof(tail), o->err_tail, 400, 0);
		if (WIFEXITED(o->status))
			rc = drover_err_set(err, -EIO, "CNI plugin \"%s\" %s exited with status %d%s%s",
			                    type, command, WEXITSTATUS(o->status), tail[0] ? ": " : "",
			                    tail);
		else
			rc = drover_err_set(err, -EIO, "CNI plugin \"%s\" %s was killed by signal %d",
			                    type, command, WTERMSIG(o->status));
	}
	drover_value_clear(&v);
	return rc;
}

static int check_list(const drover_value *list, drover_err *err)
{
	const drover_value *plugins = drover_value_get(list, "plugins");
	if (!plugins || plugins->type != DROVER_VALUE_ARRAY || !drover_value_get_string(list, "name", NULL) ||
	    !drover_value_get_string(list, "cniVersion", NULL))
		return drover_err_set(err, -EINVAL, "a CNI network configuration list needs a name, a "
		                      "cniVersion and plugins");
	for (size_t i = 0; i < plugins->u.array.count; i++)
		if (plugins->u.array.items[i].type != DROVER_VALUE_OBJECT ||
		    !drover_value_get_string(&plugins->u.array.items[i], "type", NULL))
			return drover_err_set(err, -EINVAL, "CNI plugins[%zu] has no type", i);
	return 0;
}

/* Calls plugin `index` of the list with `command`. `prev` is its
 * prevResult; `result` (may be NULL) receives its parsed output. */
static int call_plugin(const drover_cni_runtime *rt, const char *command, const drover_value *list,
                       size_t index, const drover_value *prev, const drover_value *runtime,
                       drover_value *result, drover_err *err)
{
	const drover_value *plugin = &drover_value_get(list, "plugins")->u.array.items[index];
	const char *type = drover_value_get_string(plugin, "type", "");
	char binary[PATH_MAX];
	_cleanup_(drover_freep) char *conf = NULL;
	size_t conf_len = 0;
	int rc;
	if ((rc = find_plugin(rt->cni_path, type, binary, sizeof(binary), err)) < 0)
		return rc;
	if ((rc = plugin_config(list, plugin, prev, runtime, &conf, &conf_len)) < 0)
		return drover_err_set(err, rc, "cannot write the configuration of CNI plugin \"%s\"",
		                      type);
	plugin_output o;
	rc = run_plugin(rt, command, binary, type, conf, conf_len, &o, err);
	if (rc == 0 && (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0))
		rc = plugin_failed(type, command, &o, err);
	if (rc == 0 && result && o.out_len > 0) {
		drover_err perr = {{0}};
		if ((rc = drover_json_parse("CNI result", o.out, o.out_len, result, &perr)) < 0)
			rc = drover_err_set(err, rc, "CNI plugin \"%s\" %s answered no JSON result: %s",
			                    type, command, perr.message);
	}
	free(o.out);
	return rc;
}

int drover_cni_add(const drover_cni_runtime *rt, const drover_value *conflist,
                   const drover_value *runtime_config, drover_cni_progress_fn progress,
                   void *progress_data, char **result, drover_err *err)
{
	int rc = check_list(conflist, err);
	if (rc < 0)
		return rc;
	const drover_value *plugins = drover_value_get(conflist, "plugins");
	drover_value prev = {.type = DROVER_VALUE_NULL};
	for (size_t i = 0; i < plugins->u.array.count; i++) {
		drover_value next = {.type = DROVER_VALUE_NULL};
		rc = call_plugin(rt, "ADD", conflist, i, prev.type == DROVER_VALUE_NULL ? NULL : &prev,
		                 runtime_config, &next, err);
		if (rc < 0) {
			drover_value_clear(&prev);
			return rc;
		}
		/* A plugin that answers nothing passes the previous result on. */
		if (next.type != DROVER_VALUE_NULL) {
			drover_value_clear(&prev);
			prev = next;
		}
		if (progress && i + 1 < plugins->u.array.count && prev.type != DROVER_VALUE_NULL) {
			char *so_far = drover_json_text(&prev, NULL);
			if (so_far)
				progress(progress_data, so_far);
			free(so_far);
		}
	}
	char *text = drover_json_text(&prev, NULL);
	drover_value_clear(&prev);
	if (!text)
		return drover_err_set(err, -ENOMEM, "cannot keep the CNI result");
	*result = text;
	return 0;
}

static int parse_prev(const char *prev_result, drover_value *out, drover_err *err)
{
	*out = (drover_value){.type = DROVER_VALUE_NULL};
	if (!prev_result || !prev_result[0])
		return 0;
	drover_err perr = {{0}};
	int rc = drover_json_parse("recorded CNI result", prev_result, strlen(prev_result), out, &perr);
	if (rc < 0)
		return drover_err_set(err, rc, "%s", perr.message);
	return 0;
}

int drover_cni_del(const drover_cni_runtime *rt, const drover_value *conflist,
                   const drover_value *runtime_config, const char *prev_result,
                   drover_err *err)
{
	int rc = check_list(conflist, err);
	if (rc < 0)
		return rc;
	drover_value prev;
	drover_err perr = {{0}};
	/* A damaged record must not keep the plugins from cleaning up. */
	if (parse_prev(prev_result, &prev, &perr) < 0)
		prev.type = DROVER_VALUE_NULL;
	const drover_value *plugins = drover_value_get(conflist, "plugins");
	int first = 0;
	for (size_t i = plugins->u.array.count; i-- > 0;) {
		drover_err one = {{0}};
		int r = call_plugin(rt, "DEL", conflist, i, prev.type == DROVER_VALUE_NULL ? NULL : &prev,
		                    runtime_config, NULL, &one);
		if (r < 0 && first == 0) {
			first = r;
			*err = one;
		}
	}
	drover_value_clear(&prev);
	return first;
}

int drover_cni_check(const drover_cni_runtime *rt, const drover_value *conflist,
                     const drover_value *runtime_config, const char *prev_result,
                     drover_err *err)
{
	int rc = check_list(conflist, err);
	if (rc < 0)
		return rc;
	drover_value prev;
	if ((rc = parse_prev(prev_result, &prev, err)) < 0)
		return rc;
	const drover_value *plugins = drover_value_get(conflist, "plugins");
	for (size_t i = 0; rc == 0 && i < plugins->u.array.count; i++)
		rc = call_plugin(rt, "CHECK", conflist, i, prev.type == DROVER_VALUE_NULL ? NULL : &prev,
		                 runtime_config, NULL, err);
	drover_value_clear(&prev);
	return rc;
}

int drover_cni_result_ipv4(const char *result, char *out, size_t len)
{
	drover_value v;
	drover_err ignored = {{0}};
	if (!result || drover_json_parse("CNI result", result, strlen(result), &v, &ignored) < 0)
		return -EINVAL;
	int rc = -ENOENT;
	const drover_value *ips = drover_value_get(&v, "ips");
	for (size_t i = 0; ips && ips->type == DROVER_VALUE_ARRAY && i < ips->u.array.count; i++) {
		const char *addr = drover_value_get_string(&ips->u.array.items[i], "address", NULL);
		if (!addr || strchr(addr, ':'))
			continue;
		size_t n = strcspn(addr, "/");
		if (n < len) {
			memcpy(out, addr, n);
			out[n] = '\0';
			rc = 0;
		}
		break;
	}
	drover_value_clear(&v);
	return rc;
}
