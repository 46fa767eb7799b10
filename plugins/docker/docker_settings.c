/* Reading the docker plugin options (see docker_settings.h). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker_settings.h"

int docker_parse_duration_ms(const char *text, long long *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "us", 0.001 }, { "µs", 0.001 }, { "ns", 0.000001 },
		      { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	const char *p = text;
	double total = 0;

	if (!p || !*p)
		return -EINVAL;
	if (strcmp(p, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double n;
		size_t i, best = 0, best_len = 0;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		n = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, l) == 0 && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (!best_len)
			return -EINVAL;
		total += n * units[best].ms;
		p += best_len;
		if (total > 366.0 * 24 * 3600 * 1000)
			return -EINVAL;
	}
	*ms = (long long)total;
	return 0;
}

void docker_strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int docker_strv_from_value(const drover_value *v, char ***out)
{
	char **list;
	size_t i, n;

	*out = NULL;
	if (!v || v->type == DROVER_VALUE_NULL)
		return 0;
	if (v->type != DROVER_VALUE_ARRAY)
		return -EINVAL;
	n = v->u.array.count;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const drover_value *it = &v->u.array.items[i];
		if (it->type != DROVER_VALUE_STRING) {
			docker_strv_free(list);
			return -EINVAL;
		}
		if (!(list[i] = strdup(it->u.string.ptr))) {
			docker_strv_free(list);
			return -ENOMEM;
		}
	}
	*out = list;
	return 0;
}

static int load_list(const drover_value *config, const char *key, char ***out, drover_err *err)
{
	int r = docker_strv_from_value(drover_value_get(config, key), out);
	if (r == -EINVAL)
		return drover_err_set(err, r, "docker plugin option \"%s\" must be a list of strings",
		                      key);
	if (r < 0)
		return drover_err_set(err, r, "docker: out of memory");
	return 0;
}

static int load_duration(const drover_value *config, const char *key, long long min_ms,
                         long long *out, drover_err *err)
{
	const char *text = drover_value_get_string(config, key, NULL);
	long long ms;

	if (!text)
		return drover_err_set(err, -EINVAL, "docker plugin option \"%s\" is missing", key);
	if (docker_parse_duration_ms(text, &ms) < 0)
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"%s\": \"%.64s\" is not a duration "
		                      "(write it as \"90s\", \"2m\", \"1h\")",
		                      key, text);
	if (ms < min_ms)
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"%s\": \"%.64s\" is below the minimum of "
		                      "%llds",
		                      key, text, min_ms / 1000);
	*out = ms;
	return 0;
}

/* A duration inside a block ("gc.image_delay"); `def` when the block or the
 * key is absent, as the schema's defaults only reach blocks that are given. */
static int load_block_duration(const drover_value *block, const char *key, const char *name,
                               const char *def, long long *out, drover_err *err)
{
	const char *text = drover_value_get_string(block, key, def);
	long long ms;

	if (docker_parse_duration_ms(text, &ms) < 0)
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"%s\": \"%.64s\" is not a duration "
		                      "(write it as \"90s\", \"2m\", \"1h\")",
		                      name, text);
	*out = ms;
	return 0;
}

static const char *const extra_label_names[] = { "job_name", "job_id", "task_group_name",
	                                          "task_name", "namespace", "node_name",
	                                          "node_id", NULL };

static int valid_label_glob(const char *glob)
{
	/* A glob must be able to match one of Nomad's names, or it is a typo. */
	for (size_t i = 0; extra_label_names[i]; i++) {
		const char *star = strchr(glob, '*');
		size_t pre = star ? (size_t)(star - glob) : strlen(glob);
		if (star ? strncmp(glob, extra_label_names[i], pre) == 0
		         : strcmp(glob, extra_label_names[i]) == 0)
			return 1;
	}
	return 0;
}

/* auth.helper names a program on $PATH as Nomad does (the part after
 * "docker-credential-"), so a path or a shell word cannot sneak in; auth.config
 * must be absolute, as the agent's working directory is nobody's business;
 * infra_image must at least look like an image reference. */
static int check_auth_and_infra(docker_settings *s, const drover_value *config,
                                drover_err *err)
{
	const char *infra = drover_value_get_string(config, "infra_image", NULL);
	const char *t = drover_value_get_string(config, "infra_image_pull_timeout", "5m");
	int r;

	if (s->auth_helper) {
		for (const char *c = s->auth_helper; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
				return drover_err_set(err, -EINVAL,
				                      "docker plugin option \"auth.helper\": \"%.64s\" must "
				                      "be the name after \"docker-credential-\" of a program "
				                      "on $PATH (letters, digits, '-', '_', '.'), not a path",
				                      s->auth_helper);
		if (strlen(s->auth_helper) > 100)
			return drover_err_set(err, -EINVAL, "docker plugin option \"auth.helper\" is "
			                      "longer than 100 characters");
	}
	if (s->auth_config && s->auth_config[0] != '/')
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"auth.config\": \"%.200s\" must be an "
		                      "absolute path",
		                      s->auth_config);
	if (!infra || !infra[0] || strlen(infra) > 255 || strpbrk(infra, " \t\r\n\"'\\"))
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"infra_image\": \"%.64s\" is not an "
		                      "image reference",
		                      infra ? infra : "");
	if (docker_parse_duration_ms(t, &s->infra_image_pull_timeout_ms) < 0 ||
	    s->infra_image_pull_timeout_ms <= 0) {
		r = drover_err_set(err, -EINVAL,
		                   "docker plugin option \"infra_image_pull_timeout\": \"%.64s\" is "
		                   "not a positive duration (write it as \"90s\", \"5m\")",
		                   t);
		return r;
	}
	return 0;
}

/* Nomad's default is the whole block { type = "json-file", config = {
 * max-file = "2", max-size = "2m" } }: a given block replaces it, so a block
 * naming only a type gets no options. The type becomes a plugin name on the
 * daemon's side, so it is held to the characters such names use. */
static int load_logging(docker_settings *s, const drover_value *config, drover_err *err)
{
	static const char *const defaults[] = { "max-file", "2", "max-size", "2m", NULL };
	const drover_value *block = drover_value_get(config, "logging");
	const drover_value *conf = drover_value_get(block, "config");
	const char *type = drover_value_get_string(block, "type", "json-file");
	size_t n = 0;

	if (!type[0] || strlen(type) > 128)
		return drover_err_set(err, -EINVAL, "docker plugin option \"logging.type\" must be "
		                      "a logging driver name of 1 to 128 characters");
	for (const char *c = type; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.:/", *c))
			return drover_err_set(err, -EINVAL,
			                      "docker plugin option \"logging.type\": \"%.64s\" is not "
			                      "a logging driver name (letters, digits, '-', '_', '.', "
			                      "':', '/')",
			                      type);
	if (!(s->log_type = strdup(type)))
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	if (!block || block->type == DROVER_VALUE_NULL) {
		for (; defaults[n]; n++)
			;
	} else if (conf && conf->type == DROVER_VALUE_OBJECT) {
		n = conf->u.object.count * 2;
	} else if (conf && conf->type != DROVER_VALUE_NULL) {
		return drover_err_set(err, -EINVAL, "docker plugin option \"logging.config\" must "
		                      "be a map of strings");
	}
	if (!(s->log_config = calloc(n + 1, sizeof(char *))))
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *text;
		if (!block || block->type == DROVER_VALUE_NULL) {
			text = defaults[i];
		} else if (i % 2 == 0) {
			text = conf->u.object.keys[i / 2];
		} else {
			const drover_value *v = &conf->u.object.values[i / 2];
			if (v->type != DROVER_VALUE_STRING)
				return drover_err_set(err, -EINVAL,
				                      "docker plugin option \"logging.config\": the "
				                      "value of \"%.64s\" is not a string",
				                      conf->u.object.keys[i / 2]);
			text = v->u.string.ptr;
		}
		if (!(s->log_config[i] = strdup(text)))
			return drover_err_set(err, -ENOMEM, "docker: out of memory");
	}
	return 0;
}

/* Docker knows two SELinux modes of a bind; anything else would only fail
 * later, at container creation, on every task. */
static int load_selinux_label(docker_settings *s, const drover_value *volumes, drover_err *err)
{
	const char *label = drover_value_get_string(volumes, "selinuxlabel", NULL);

	if (!label)
		return 0;
	if (strcmp(label, "z") != 0 && strcmp(label, "Z") != 0)
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"volumes.selinuxlabel\": \"%.64s\" is "
		                      "not \"z\" (shared) or \"Z\" (private)",
		                      label);
	if (!(s->selinux_label = strdup(label)))
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	return 0;
}

int docker_settings_load(docker_settings *out, const drover_value *config, drover_err *err)
{
	docker_settings s;
	const drover_value *tls = drover_value_get(config, "tls");
	const drover_value *gc = drover_value_get(config, "gc");
	const drover_value *volumes = drover_value_get(config, "volumes");
	const drover_value *auth = drover_value_get(config, "auth");
	int r;

	memset(&s, 0, sizeof(s));
	const drover_value *dangling = drover_value_get(gc, "dangling_containers");

	s.gc_container = drover_value_get_bool(gc, "container", 1);
	s.gc_image = drover_value_get_bool(gc, "image", 1);
	s.dangling_enabled = drover_value_get_bool(dangling, "enabled", 1);
	s.dangling_dry_run = drover_value_get_bool(dangling, "dry_run", 0);
	if ((r = load_block_duration(gc, "image_delay", "gc.image_delay", "3m",
	                             &s.gc_image_delay_ms, err)) < 0 ||
	    (r = load_block_duration(dangling, "period", "gc.dangling_containers.period", "5m",
	                             &s.dangling_period_ms, err)) < 0 ||
	    (r = load_block_duration(dangling, "creation_grace",
	                             "gc.dangling_containers.creation_grace", "5m",
	                             &s.dangling_grace_ms, err)) < 0)
		return r;
	if (s.dangling_period_ms < 1000)
		return drover_err_set(err, -EINVAL, "docker plugin option "
		                      "\"gc.dangling_containers.period\" must be at least 1s");
	s.volumes_enabled = drover_value_get_bool(volumes, "enabled", 0);
	s.allow_privileged = drover_value_get_bool(config, "allow_privileged", 0);
	s.pids_limit = drover_value_get_int(config, "pids_limit", 0);
	s.disable_log_collection = drover_value_get_bool(config, "disable_log_collection", 0);
	if (s.pids_limit < 0)
		return drover_err_set(err, -EINVAL,
		                      "docker plugin option \"pids_limit\" must be 0 (no limit) or "
		                      "positive, not %lld",
		                      s.pids_limit);
	if ((r = load_duration(config, "pull_activity_timeout", 60000, &s.pull_activity_timeout_ms,
	                       err)) < 0 ||
	    (r = load_duration(config, "image_pull_timeout", 1, &s.image_pull_timeout_ms, err)) < 0)
		return r;

#define DUP(field, src)                                                                   \
	do {                                                                              \
		const char *v_ = (src);                                                   \
		if (v_ && v_[0] && !(s.field = strdup(v_))) {                             \
			r = drover_err_set(err, -ENOMEM, "docker: out of memory");        \
			goto fail;                                                        \
		}                                                                         \
	} while (0)
	DUP(endpoint, drover_value_get_string(config, "endpoint", NULL));
	DUP(tls_ca, drover_value_get_string(tls, "ca", NULL));
	DUP(tls_cert, drover_value_get_string(tls, "cert", NULL));
	DUP(tls_key, drover_value_get_string(tls, "key", NULL));
	DUP(auth_config, drover_value_get_string(auth, "config", NULL));
	DUP(auth_helper, drover_value_get_string(auth, "helper", NULL));
	DUP(infra_image, drover_value_get_string(config, "infra_image", NULL));
#undef DUP
	if ((r = check_auth_and_infra(&s, config, err)) < 0 ||
	    (r = load_logging(&s, config, err)) < 0 ||
	    (r = load_selinux_label(&s, volumes, err)) < 0)
		goto fail;
	if ((s.tls_ca || s.tls_cert || s.tls_key) && !(s.tls_ca && s.tls_cert && s.tls_key)) {
		r = drover_err_set(err, -EINVAL,
		                   "docker plugin option \"tls\" needs all of \"ca\", \"cert\" and "
		                   "\"key\"");
		goto fail;
	}
	if ((r = load_list(config, "extra_labels", &s.extra_labels, err)) < 0 ||
	    (r = load_list(config, "allow_caps", &s.allow_caps, err)) < 0 ||
	    (r = load_list(config, "allow_runtimes", &s.allow_runtimes, err)) < 0)
		goto fail;
	for (size_t i = 0; s.extra_labels && s.extra_labels[i]; i++)
		if (!valid_label_glob(s.extra_labels[i])) {
			r = drover_err_set(err, -EINVAL,
			                   "docker plugin option \"extra_labels\": \"%.64s\" matches "
			                   "none of job_name, job_id, task_group_name, task_name, "
			                   "namespace, node_name, node_id",
			                   s.extra_labels[i]);
			goto fail;
		}
	for (size_t i = 0; s.allow_caps && s.allow_caps[i]; i++) {
		char *c = s.allow_caps[i];
		if (strncasecmp(c, "cap_", 4) == 0)
			memmove(c, c + 4, strlen(c + 4) + 1);
		for (; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	*out = s;
	return 0;
fail:
	docker_settings_free(&s);
	return r;
}

void docker_settings_free(docker_settings *s)
{
	free(s->endpoint);
	free(s->tls_ca);
	free(s->tls_cert);
	free(s->tls_key);
	free(s->auth_config);
	free(s->auth_helper);
	free(s->infra_image);
	free(s->log_type);
	free(s->selinux_label);
	docker_strv_free(s->log_config);
	docker_strv_free(s->extra_labels);
	docker_strv_free(s->allow_caps);
	docker_strv_free(s->allow_runtimes);
	memset(s, 0, sizeof(*s));
}
