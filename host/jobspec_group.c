#include "config.h"

#include "jobspec_util.h"
#include "strset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNT 10000

void js_ports_free(drover_port *ports, size_t count)
{
	for (size_t i = 0; ports && i < count; i++) {
		free(ports[i].label);
		free(ports[i].host_network);
	}
	free(ports);
}

static int label_ok(const char *s)
{
	if (!s[0])
		return 0;
	/* The label becomes part of NOMAD_PORT_<label>, an environment variable name. */
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void parse_port(js_ctx *c, const drover_value *p, int reserved, const char *where,
                       const char *path, const char *ignored_path, drover_port *out)
{
	static const js_key keys[] = {
		{"Label", JS_USED}, {"Value", JS_USED}, {"To", JS_USED}, {"HostNetwork", JS_USED},
		{"IgnoreCollision", JS_IGNORED}, JS_KEYS_END,
	};
	if (p->type != DROVER_VALUE_OBJECT) {
		js_report(c, "%s: \"%s\" must be an object with Label and Value, not %s", where, path,
		          drover_value_type_name(p->type));
		return;
	}
	js_check_keys(c, p, keys, where, path, ignored_path);
	const char *label = NULL;
	int r = js_get_string(c, p, "Label", where, path, &label);
	if (r == 0)
		js_report(c, "%s: \"%s.Label\" is required: it names the port (NOMAD_PORT_<label>)", where, path);
	if (r > 0 && !label_ok(label)) {
		char *shown = js_display(c, label);
		js_report(c, "%s: \"%s.Label\" \"%s\" cannot be used: use letters, digits, '_' or '-' (it becomes part of NOMAD_PORT_<label>)",
		          where, path, shown);
		js_display_free(shown);
	} else if (r > 0) {
		out->label = js_strdup(c, label);
	}
	long long value = 0, to = 0;
	r = js_get_int(c, p, "Value", where, path, &value);
	if (reserved && r == 0)
		js_report(c, "%s: \"%s.Value\" is required for a reserved port", where, path);
	else if (reserved && r > 0 && (value < 1 || value > 65535))
		js_report(c, "%s: \"%s.Value\" must be a port between 1 and 65535, not %lld", where, path, value);
	else if (reserved && r > 0)
		out->value = (int)value;
	/* A dynamic port's Value is chosen when the task is placed; Nomad prints 0. */
	if (js_get_int(c, p, "To", where, path, &to) > 0) {
		if (to < -1 || to > 65535)
			js_report(c, "%s: \"%s.To\" must be between -1 and 65535, not %lld", where, path, to);
		else
			out->to = (int)to;
	}
	const char *hn = NULL;
	if (js_get_string(c, p, "HostNetwork", where, path, &hn) > 0 && hn[0])
		out->host_network = js_strdup(c, hn);
}

static void parse_port_list(js_ctx *c, const drover_value *net, const char *key, int reserved,
                            const char *where, const char *path, const char *ignored_path,
                            drover_port **ports, size_t *count)
{
	const drover_value *list = NULL;
	if (js_get_array(c, net, key, where, path, &list) <= 0)
		return;
	size_t n = list->u.array.count;
	if (n == 0)
		return;
	drover_port *grown = realloc(*ports, (*count + n) * sizeof(*grown));
	if (!grown) {
		c->oom = c->failed = 1;
		return;
	}
	*ports = grown;
	for (size_t i = 0; i < n; i++) {
		char *ppath = js_printf(c, "%s.%s[%zu]", path, key, i);
		char *ipath = js_printf(c, "%s.%s[%zu]", ignored_path, key, i);
		drover_port *p = &grown[*count];
		memset(p, 0, sizeof(*p));
		(*count)++;
		if (ppath && ipath)
			parse_port(c, &list->u.array.items[i], reserved, where, ppath, ipath, p);
		free(ppath);
		free(ipath);
	}
}

/* A task's legacy Resources.Networks live in the group's namespace: a mode
 * of their own would silently not exist, so anything but "host" is refused. */
static void check_task_network_mode(js_ctx *c, const drover_value *net, const char *where,
                                    const char *path)
{
	const char *mode = NULL;

	if (js_get_string(c, net, "Mode", where, path, &mode) <= 0 || !mode[0] ||
	    strcmp(mode, "host") == 0)
		return;
	char *shown = js_display(c, mode);
	js_report(c, "%s: \"%s.Mode\": \"%s\" is not supported for a task's own network: set "
	          "the mode on the group's network (TaskGroups[].Networks)",
	          where, path, shown ? shown : "");
	js_display_free(shown);
}

void js_get_networks(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                     const char *prefix, const char *ignored_prefix, drover_port **ports,
                     size_t *count, drover_group_network *group_net)
{
	static const js_key task_keys[] = {
		{"ReservedPorts", JS_USED}, {"DynamicPorts", JS_USED}, {"Mode", JS_USED},
		{"Device", JS_IGNORED},     {"CIDR", JS_IGNORED},      {"IP", JS_IGNORED},
		{"DNS", JS_IGNORED},        {"Hostname", JS_IGNORED},  {"MBits", JS_IGNORED},
		{"CNI", JS_IGNORED},        JS_KEYS_END,
	};
	static const js_key group_keys[] = {
		{"ReservedPorts", JS_USED}, {"DynamicPorts", JS_USED}, {"Mode", JS_USED},
		{"Device", JS_IGNORED},     {"CIDR", JS_IGNORED},      {"IP", JS_IGNORED},
		{"DNS", JS_USED},           {"Hostname", JS_USED},     {"MBits", JS_IGNORED},
		{"CNI", JS_IGNORED},        JS_KEYS_END,
	};
	const drover_value *nets = NULL;
	if (js_get_array(c, obj, key, where, prefix, &nets) <= 0)
		return;
	if (group_net && nets->u.array.count > 1)
		js_report(c, "%s: \"%s\" has %zu networks; a group has at most one (as in Nomad)",
		          where, key, nets->u.array.count);
	for (size_t i = 0; i < nets->u.array.count; i++) {
		const drover_value *net = &nets->u.array.items[i];
		char *path = js_printf(c, "%s%s%s[%zu]", prefix ? prefix : "", prefix ? "." : "", key, i);
		char *ipath = js_printf(c, "%s.%s[%zu]", ignored_prefix, key, i);
		if (path && ipath && net->type != DROVER_VALUE_OBJECT) {
			js_report(c, "%s: \"%s\" must be an object, not %s", where, path,
			          drover_value_type_name(net->type));
		} else if (path && ipath) {
			js_check_keys(c, net, group_net ? group_keys : task_keys, where, path, ipath);
			if (!group_net)
				check_task_network_mode(c, net, where, path);
			else if (i == 0)
				js_get_group_network(c, net, where, path, group_net);
			parse_port_list(c, net, "ReservedPorts", 1, where, path, ipath, ports, count);
			parse_port_list(c, net, "DynamicPorts", 0, where, path, ipath, ports, count);
		}
		free(path);
		free(ipath);
	}
	drover_strset labels = {0};
	for (size_t i = 0; i < *count; i++) {
		if (!(*ports)[i].label)
			continue;
		int r = drover_strset_add(&labels, (*ports)[i].label, i, NULL);
		if (r < 0)
			c->oom = c->failed = 1;
		else if (r == 0)
			js_report(c, "%s: port label \"%s\" is used twice; each port needs its own label",
			          where, (*ports)[i].label);
	}
	drover_strset_clear(&labels);
}

void js_group_clear(drover_jobspec_group *g)
{
	free(g->name);
	for (size_t i = 0; g->tasks && i < g->task_count; i++)
		js_task_clear(&g->tasks[i]);
	free(g->tasks);
	js_kv_free(g->meta, g->meta_count);
	js_ports_free(g->ports, g->port_count);
	js_volumes_free(g->volumes, g->volume_count);
	js_group_network_clear(&g->network);
	free(g->restart.mode);
	memset(g, 0, sizeof(*g));
}

static const js_key group_keys[] = {
	{"Name", JS_USED},
	{"Count", JS_USED},
	{"Tasks", JS_USED},
	{"Meta", JS_USED},
	{"RestartPolicy", JS_USED},
	{"Networks", JS_USED},
	{"Constraints", JS_IGNORED},
	{"Affinities", JS_IGNORED},
	{"Spreads", JS_IGNORED},
	{"Volumes", JS_USED},
	{"ReschedulePolicy", JS_IGNORED},
	{"EphemeralDisk", JS_IGNORED},
	{"Update", JS_IGNORED},
	{"Migrate", JS_IGNORED},
	{"Services", JS_IGNORED},
	{"ShutdownDelay", JS_IGNORED},
	{"StopAfterClientDisconnect", JS_IGNORED},
	{"MaxClientDisconnect", JS_IGNORED},
	{"PreventRescheduleOnLost", JS_IGNORED},
	{"Disconnect", JS_IGNORED},
	{"Scaling", JS_IGNORED},
	{"Consul", JS_IGNORED},
	JS_KEYS_END,
};

static void parse_tasks(js_ctx *c, const drover_value *v, size_t index, const char *where,
                        drover_jobspec_group *g)
{
	const drover_value *tasks = NULL;
	int r = js_get_array(c, v, "Tasks", where, NULL, &tasks);
	if (r == 0 || (r > 0 && tasks->u.array.count == 0)) {
		js_report(c, "%s: \"Tasks\" is required and must list at least one task", where);
		return;
	}
	if (r < 0)
		return;
	size_t n = tasks->u.array.count;
	g->tasks = calloc(n, sizeof(*g->tasks));
	if (!g->tasks) {
		c->oom = c->failed = 1;
		return;
	}
	drover_strset names = {0};
	for (size_t i = 0; i < n; i++) {
		g->task_count = i + 1;
		js_parse_task(c, &tasks->u.array.items[i], index, i, where, &g->restart, &g->tasks[i]);
		if (!g->tasks[i].name)
			continue;
		size_t j = 0;
		int added = drover_strset_add(&names, g->tasks[i].name, i, &j);
		if (added < 0)
			c->oom = c->failed = 1;
		else if (added == 0)
			js_report(c, "%s: task name \"%s\" is used twice (Tasks[%zu] and Tasks[%zu]); task names in a group must be unique",
			          where, g->tasks[i].name, j, i);
	}
	drover_strset_clear(&names);
}

int js_parse_group(js_ctx *c, const drover_value *v, size_t index, const char *job_where,
                   drover_jobspec_group *out)
{
	int failed_before = c->failed;
	c->failed = 0;
	char *where = NULL;
	char *ignored_prefix = js_printf(c, "TaskGroups[%zu]", index);
	const char *name = NULL;
	if (v->type != DROVER_VALUE_OBJECT) {
		js_report(c, "%s: \"TaskGroups[%zu]\" must be an object, not %s", job_where, index,
		          drover_value_type_name(v->type));
		goto done;
	}
	/* Name first: every later message names the group. */
	char *anon_where = js_printf(c, "%s, TaskGroups[%zu]", job_where, index);
	int r = js_get_string(c, v, "Name", anon_where ? anon_where : job_where, NULL, &name);
	if (r == 0)
		js_report(c, "%s: \"Name\" is required for every task group", anon_where ? anon_where : job_where);
	if (r > 0 && js_check_name(c, anon_where ? anon_where : job_where, "Name", name)) {
		char *shown = js_display(c, name);
		where = js_printf(c, "%s, group \"%s\"", job_where, shown);
		js_display_free(shown);
		out->name = js_strdup(c, name);
	} else {
		where = anon_where;
		anon_where = NULL;
	}
	free(anon_where);
	if (!where || !ignored_prefix)
		goto done;

	js_check_keys(c, v, group_keys, where, NULL, ignored_prefix);
	long long count = 1;
	if (js_get_int_range(c, v, "Count", where, NULL, 0, MAX_COUNT, "", &count) < 0)
		count = 1;
	out->count = (int)count;
	js_get_string_map(c, v, "Meta", where, &out->meta, &out->meta_count);
	js_restart_defaults(c, c->job_type, &out->restart);
	js_get_restart(c, v, where, ignored_prefix, &out->restart);
	js_get_networks(c, v, "Networks", where, NULL, ignored_prefix, &out->ports, &out->port_count,
	                &out->network);
	if (!out->network.mode)
		out->network.mode = js_strdup(c, "host");
	js_get_volumes(c, v, where, out);
	parse_tasks(c, v, index, where, out);
	js_check_volume_mounts(c, where, out);
done:
	free(where);
	free(ignored_prefix);
	int failed = c->failed;
	c->failed = failed_before || failed;
	return failed ? -1 : 0;
}
