/* See host_volume.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host_volume.h"

typedef int (*volume_fn)(void *ud, const char *name, const drover_value *block);

static const drover_value *one_block(const drover_value *v)
{
	if (v && v->type == DROVER_VALUE_ARRAY && v->u.array.count == 1)
		return &v->u.array.items[0];
	return v;
}

/* Calls fn for each declaration, in every JSON form the block may take;
 * stops at a non-zero return. -EINVAL when the block is not an object or a
 * list of objects. */
static int each_volume(const drover_value *hv, volume_fn fn, void *ud)
{
	size_t lists = 1;
	int r;

	if (!hv || hv->type == DROVER_VALUE_NULL)
		return 0;
	if (hv->type == DROVER_VALUE_ARRAY)
		lists = hv->u.array.count;
	else if (hv->type != DROVER_VALUE_OBJECT)
		return -EINVAL;
	for (size_t l = 0; l < lists; l++) {
		const drover_value *obj = hv->type == DROVER_VALUE_ARRAY ? &hv->u.array.items[l] : hv;
		if (obj->type != DROVER_VALUE_OBJECT)
			return -EINVAL;
		for (size_t i = 0; i < obj->u.object.count; i++)
			if ((r = fn(ud, obj->u.object.keys[i], one_block(&obj->u.object.values[i]))) != 0)
				return r;
	}
	return 0;
}

typedef struct check_state {
	const char *path;
	drover_errlist *errors;
	int bad;
} check_state;

static int check_one(void *ud, const char *name, const drover_value *b)
{
	check_state *s = ud;
	const drover_value *p = drover_value_get(b, "path");
	const drover_value *ro = drover_value_get(b, "read_only");

	if (!b || b->type != DROVER_VALUE_OBJECT) {
		drover_errlist_add(s->errors, "%s: client.host_volume \"%.64s\" must be a block with "
		                   "\"path\" (and \"read_only\")",
		                   s->path, name);
		s->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < b->u.object.count; i++)
		if (strcmp(b->u.object.keys[i], "path") != 0 &&
		    strcmp(b->u.object.keys[i], "read_only") != 0) {
			drover_errlist_add(s->errors, "%s: client.host_volume \"%.64s\": unknown key "
			                   "\"%.64s\" (give \"path\" and \"read_only\")",
			                   s->path, name, b->u.object.keys[i]);
			s->bad = 1;
		}
	if (!p || p->type != DROVER_VALUE_STRING || p->u.string.ptr[0] != '/') {
		drover_errlist_add(s->errors, "%s: client.host_volume \"%.64s\": \"path\" must be an "
		                   "absolute host path",
		                   s->path, name);
		s->bad = 1;
	}
	if (ro && ro->type != DROVER_VALUE_NULL && ro->type != DROVER_VALUE_BOOL) {
		drover_errlist_add(s->errors, "%s: client.host_volume \"%.64s\": \"read_only\" must be "
		                   "true or false",
		                   s->path, name);
		s->bad = 1;
	}
	return 0;
}

int drover_host_volumes_check(const char *path, const drover_value *host_volume,
                              drover_errlist *errors)
{
	check_state s = { path, errors, 0 };

	if (each_volume(host_volume, check_one, &s) < 0) {
		drover_errlist_add(errors, "%s: client.host_volume must map volume names to blocks "
		                   "({\"data\": {\"path\": \"/srv/data\"}})",
		                   path);
		return -EINVAL;
	}
	return s.bad ? -EINVAL : 0;
}

typedef struct find_state {
	const char *name;
	const drover_value *block;
} find_state;

static int find_one(void *ud, const char *name, const drover_value *b)
{
	find_state *s = ud;
	if (strcmp(name, s->name) != 0)
		return 0;
	s->block = b;
	return 1;
}

int drover_host_volume_find(const drover_agent_config *cfg, const char *name, const char **path,
                            int *read_only, drover_err *err)
{
	find_state s = { name, NULL };
	const drover_value *p;

	if (cfg)
		each_volume(drover_agent_config_lookup(cfg, "client.host_volume"), find_one, &s);
	p = drover_value_get(s.block, "path");
	if (!p || p->type != DROVER_VALUE_STRING)
		return drover_err_set(err, -ENOENT,
		                      "host volume \"%.64s\" is not declared by this agent: add "
		                      "client.host_volume \"%.64s\" { path } to the agent config%s%s",
		                      name, name, cfg && cfg->path ? " " : "",
		                      cfg && cfg->path ? cfg->path : "");
	*path = p->u.string.ptr;
	*read_only = drover_value_get_bool(s.block, "read_only", 0);
	return 0;
}

int drover_host_volume_resolve(const char *name, const char *path, char **canonical,
                               drover_err *err)
{
	char *real = realpath(path, NULL);
	struct stat st;

	if (!real || stat(real, &st) < 0) {
		int e = errno;
		free(real);
		return drover_err_set(err, -e, "host volume \"%.64s\": path \"%s\": %s (fix "
		                      "client.host_volume in the agent config)",
		                      name, path, strerror(e));
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		free(real);
		return drover_err_set(err, -EINVAL, "host volume \"%.64s\": path \"%s\" is neither "
		                      "a directory nor a regular file",
		                      name, path);
	}
	*canonical = real;
	return 0;
}

void drover_task_mounts_clear(drover_task_mounts *m)
{
	for (size_t i = 0; m->sources && i < m->count; i++)
		free(m->sources[i]);
	free(m->sources);
	free(m->items);
	free(m->ptrs);
	memset(m, 0, sizeof(*m));
}

int drover_task_mounts_build(const drover_agent_config *cfg, const drover_jobspec_group *g,
                             const drover_jobspec_task *t, drover_task_mounts *out,
                             drover_err *err)
{
	drover_task_mounts m = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if (!t->mount_count)
		return 0;
	m.items = calloc(t->mount_count, sizeof(*m.items));
	m.ptrs = calloc(t->mount_count + 1, sizeof(*m.ptrs));
	m.sources = calloc(t->mount_count, sizeof(*m.sources));
	if (!m.items || !m.ptrs || !m.sources) {
		drover_task_mounts_clear(&m);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->mount_count; i++, m.count++) {
		const drover_volume_mount *vm = &t->mounts[i];
		const drover_volume *vol = drover_jobspec_group_volume(g, vm->volume);
		const char *path;
		int host_ro;
		if (!vol) {
			drover_task_mounts_clear(&m);
			return drover_err_set(err, -ENOENT, "VolumeMounts[%zu]: volume \"%.64s\" is not "
			                      "one of the group's Volumes",
			                      i, vm->volume);
		}
		if ((r = drover_host_volume_find(cfg, vol->source, &path, &host_ro, err)) < 0 ||
		    (r = drover_host_volume_resolve(vol->source, path, &m.sources[i], err)) < 0) {
			drover_task_mounts_clear(&m);
			return r;
		}
		m.items[i] = (drover_mount){
			.struct_size = sizeof(drover_mount),
			.volume = vol->name,
			.source = m.sources[i],
			.destination = vm->destination,
			.read_only = host_ro || vol->read_only || vm->read_only,
			.propagation = vm->propagation ? vm->propagation : "private",
		};
		m.ptrs[i] = &m.items[i];
	}
	*out = m;
	return 0;
}
