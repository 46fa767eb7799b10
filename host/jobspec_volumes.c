/* A group's host Volumes and a task's VolumeMounts (Nomad's API JSON). Which
 * host directory a volume is, and whether the agent declares it at all, is
 * for drover_job_check and the runner, which know the agent config. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobspec_util.h"

static const js_key volume_keys[] = {
	{"Name", JS_USED},         {"Type", JS_USED},           {"Source", JS_USED},
	{"ReadOnly", JS_USED},     {"AccessMode", JS_IGNORED},  {"AttachmentMode", JS_IGNORED},
	{"MountOptions", JS_IGNORED}, {"PerAlloc", JS_IGNORED}, {"Sticky", JS_IGNORED},
	JS_KEYS_END,
};

static const js_key mount_keys[] = {
	{"Volume", JS_USED},       {"Destination", JS_USED},    {"ReadOnly", JS_USED},
	{"PropagationMode", JS_USED}, {"SELinuxLabel", JS_IGNORED},
	JS_KEYS_END,
};

void js_volumes_free(drover_volume *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].source);
	}
	free(v);
}

void js_volume_mounts_free(drover_volume_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].volume);
		free(m[i].destination);
		free(m[i].propagation);
	}
	free(m);
}

void js_get_volumes(js_ctx *c, const drover_value *obj, const char *where, drover_jobspec_group *g)
{
	const drover_value *vols = NULL;

	if (js_get_object(c, obj, "Volumes", where, NULL, &vols) <= 0 || !vols->u.object.count)
		return;
	g->volumes = calloc(vols->u.object.count, sizeof(*g->volumes));
	if (!g->volumes) {
		c->oom = c->failed = 1;
		return;
	}
	for (size_t i = 0; i < vols->u.object.count; i++) {
		const char *name = vols->u.object.keys[i];
		const drover_value *v = &vols->u.object.values[i];
		const char *type = NULL, *source = NULL;
		char *vwhere = js_printf(c, "%s, volume \"%.64s\"", where, name);
		drover_volume *out = &g->volumes[g->volume_count];
		int ro = 0;

		if (!vwhere)
			return;
		if (v->type != DROVER_VALUE_OBJECT) {
			js_report(c, "%s: must be an object with Type, Source and ReadOnly", vwhere);
			free(vwhere);
			continue;
		}
		js_check_keys(c, v, volume_keys, vwhere, NULL, NULL);
		js_get_string(c, v, "Type", vwhere, NULL, &type);
		if (!type || strcmp(type, "host") != 0) {
			js_report(c, "%s: \"Type\" \"%.32s\" is not supported: drover mounts host volumes "
			          "(\"Type\": \"host\") only",
			          vwhere, type ? type : "");
			free(vwhere);
			continue;
		}
		if (js_get_string(c, v, "Source", vwhere, NULL, &source) <= 0 || !source[0]) {
			js_report(c, "%s: \"Source\" is required: the name of a client.host_volume of the "
			          "agent config",
			          vwhere);
			free(vwhere);
			continue;
		}
		js_get_bool(c, v, "ReadOnly", vwhere, NULL, &ro);
		out->name = js_strdup(c, name);
		out->source = js_strdup(c, source);
		out->read_only = ro;
		g->volume_count++;
		free(vwhere);
	}
}

void js_get_volume_mounts(js_ctx *c, const drover_value *obj, const char *where,
                          drover_jobspec_task *t)
{
	const drover_value *mounts = NULL;

	if (js_get_array(c, obj, "VolumeMounts", where, NULL, &mounts) <= 0 ||
	    !mounts->u.array.count)
		return;
	t->mounts = calloc(mounts->u.array.count, sizeof(*t->mounts));
	if (!t->mounts) {
		c->oom = c->failed = 1;
		return;
	}
	for (size_t i = 0; i < mounts->u.array.count; i++) {
		const drover_value *m = &mounts->u.array.items[i];
		const char *volume = NULL, *dest = NULL, *prop = NULL;
		char *mwhere = js_printf(c, "%s, VolumeMounts[%zu]", where, i);
		drover_volume_mount *out = &t->mounts[t->mount_count];
		int ro = 0;

		if (!mwhere)
			return;
		if (m->type != DROVER_VALUE_OBJECT) {
			js_report(c, "%s: must be an object with Volume and Destination", mwhere);
			free(mwhere);
			continue;
		}
		js_check_keys(c, m, mount_keys, mwhere, NULL, NULL);
		if (js_get_string(c, m, "Volume", mwhere, NULL, &volume) <= 0 || !volume[0])
			js_report(c, "%s: \"Volume\" is required: the name of one of the group's Volumes",
			          mwhere);
		if (js_get_string(c, m, "Destination", mwhere, NULL, &dest) <= 0 || !dest[0])
			js_report(c, "%s: \"Destination\" is required: where the task sees the volume",
			          mwhere);
		js_get_string(c, m, "PropagationMode", mwhere, NULL, &prop);
		if (prop && prop[0] && strcmp(prop, "private") != 0 &&
		    strcmp(prop, "host-to-task") != 0 && strcmp(prop, "bidirectional") != 0) {
			char *shown = js_display(c, prop);
			js_report(c, "%s: \"PropagationMode\" \"%s\" is not one of \"private\", "
			          "\"host-to-task\", \"bidirectional\"",
			          mwhere, shown);
			js_display_free(shown);
			prop = NULL;
		}
		js_get_bool(c, m, "ReadOnly", mwhere, NULL, &ro);
		free(mwhere);
		if (!volume || !volume[0] || !dest || !dest[0])
			continue;
		out->volume = js_strdup(c, volume);
		out->destination = js_strdup(c, dest);
		out->propagation = js_strdup(c, prop && prop[0] ? prop : "private");
		out->read_only = ro;
		t->mount_count++;
	}
}

void js_check_volume_mounts(js_ctx *c, const char *where, const drover_jobspec_group *g)
{
	for (size_t t = 0; t < g->task_count; t++) {
		const drover_jobspec_task *task = &g->tasks[t];
		for (size_t i = 0; i < task->mount_count; i++) {
			if (!drover_jobspec_group_volume(g, task->mounts[i].volume)) {
				char *shown = js_display(c, task->mounts[i].volume);
				js_report(c, "%s, task \"%s\": VolumeMounts[%zu] names volume \"%s\", which "
				          "is not one of the group's Volumes",
				          where, task->name ? task->name : "?", i, shown);
				js_display_free(shown);
			}
		}
	}
}

const drover_volume *drover_jobspec_group_volume(const drover_jobspec_group *g, const char *name)
{
	for (size_t i = 0; g && name && i < g->volume_count; i++)
		if (strcmp(g->volumes[i].name, name) == 0)
			return &g->volumes[i];
	return NULL;
}
