/* Image load and pull (see docker_image.h). */
#include <config.h>

#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "docker_auth.h"
#include "docker_image.h"
#include "plugin_resolve.h"
#include "docker_json.h"

char *docker_base64url(const char *data, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = ((unsigned char)data[i] << 16) | ((unsigned char)data[i + 1] << 8) |
		             (unsigned char)data[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = tbl[(v >> 6) & 63];
		out[o++] = tbl[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned char)data[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)data[i + 1] << 8;
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

int docker_image_parse_ref(const char *ref, char **repo, char **tag)
{
	const char *at = strchr(ref, '@');
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');

	*repo = *tag = NULL;
	if (at) {
		*repo = strdup(ref);
		*tag = strdup("");
	} else if (colon && (!slash || colon > slash)) {
		*repo = strndup(ref, (size_t)(colon - ref));
		*tag = strdup(colon + 1);
	} else {
		*repo = strdup(ref);
		*tag = strdup("latest");
	}
	if (!*repo || !*tag) {
		free(*repo);
		free(*tag);
		*repo = *tag = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int inspect_id(docker_client *c, const char *image, char **id, drover_err *err)
{
	docker_request req;
	docker_response resp;
	yajl_val v = NULL;
	char *esc = docker_url_escape(image), path[1200];
	const char *s;
	int r;

	if (!esc)
		return drover_err_set(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/images/%s/json", esc);
	free(esc);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the image inspection", &v, err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	s = docker_json_str(v, "Id", NULL);
	*id = s ? strdup(s) : NULL;
	yajl_tree_free(v);
	if (!*id)
		return drover_err_set(err, -EPROTO, "docker: the inspection of image \"%s\" has no Id",
		                      image);
	return 0;
}

/* `cfg` is NULL for a pull no task asked for (infra_image): no events. */
static void emit(const drover_task_config *cfg, const char *type, const char *msg)
{
	if (cfg && cfg->struct_size >= offsetof(drover_task_config, emit_event) + sizeof(cfg->emit_event) &&
	    cfg->emit_event)
		cfg->emit_event(cfg->event_sink, type, msg);
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Layers of one pull, by id, with their byte counts: enough for a
 * "3/5 layers, 12.0/40.2 MB" summary. A pull has a handful of layers. */
#define PROGRESS_LAYERS 128
typedef struct layer {
	char id[72];
	long long current, total;
	int done;
} layer;

/* Reads pull/load progress: remembers the first {"error": ...} line and, for
 * a pull, turns the per-layer stream into a "Pulling" task event at most
 * every PROGRESS_EVERY_MS (one per layer update would flood the event list). */
#define PROGRESS_EVERY_MS 2000
typedef struct progress {
	char error[300];
	const drover_task_config *cfg; /* NULL: no progress events */
	const char *image;
	layer layers[PROGRESS_LAYERS];
	size_t nlayers;
	long long last_emit_ms;
} progress;

static layer *layer_of(progress *p, const char *id)
{
	for (size_t i = 0; i < p->nlayers; i++)
		if (strcmp(p->layers[i].id, id) == 0)
			return &p->layers[i];
	if (p->nlayers == PROGRESS_LAYERS)
		return NULL;
	layer *l = &p->layers[p->nlayers++];
	memset(l, 0, sizeof(*l));
	snprintf(l->id, sizeof(l->id), "%s", id);
	return l;
}

/* "Pulling image X: 2/5 layers done, 3.1/10.4 MB" */
int docker_image_progress_summary(char *buf, size_t len, const char *image, size_t done,
                                  size_t layers, long long current, long long total)
{
	return snprintf(buf, len, "Pulling image %.300s: %zu/%zu layers done, %.1f/%.1f MB", image,
	                done, layers, (double)current / 1e6, (double)total / 1e6);
}

static void progress_emit(progress *p, int force)
{
	long long now = mono_ms(), cur = 0, tot = 0;
	size_t done = 0;
	char msg[500];

	if (!p->cfg || !p->nlayers || (!force && now - p->last_emit_ms < PROGRESS_EVERY_MS))
		return;
	p->last_emit_ms = now;
	for (size_t i = 0; i < p->nlayers; i++) {
		done += p->layers[i].done;
		cur += p->layers[i].done ? p->layers[i].total : p->layers[i].current;
		tot += p->layers[i].total;
	}
	docker_image_progress_summary(msg, sizeof(msg), p->image, done, p->nlayers, cur, tot);
	emit(p->cfg, "Pulling", msg);
}

static void progress_layer(progress *p, yajl_val v)
{
	const char *id = docker_json_str(v, "id", NULL);
	const char *status = docker_json_str(v, "status", NULL);
	long long n;
	layer *l;

	/* Lines without an id ("Pulling from ...", "Digest: ...") are not layers;
	 * neither is the line naming the tag being pulled. */
	if (!p->cfg || !id || !status || strncmp(status, "Pulling from", 12) == 0 ||
	    !(l = layer_of(p, id)))
		return;
	if (docker_json_int(&n, v, "progressDetail", "current", NULL) == 0)
		l->current = n;
	if (docker_json_int(&n, v, "progressDetail", "total", NULL) == 0 && n > l->total)
		l->total = n;
	if (strcmp(status, "Pull complete") == 0 || strcmp(status, "Already exists") == 0)
		l->done = 1;
	progress_emit(p, 0);
}

static int on_progress_line(void *ud, const char *line, size_t len)
{
	progress *p = ud;
	yajl_val v = NULL;
	const char *e;

	if (docker_json_parse(line, len, "a progress line", &v, NULL) < 0)
		return 0; /* not JSON: plain progress text, nothing to learn from it */
	e = docker_json_str(v, "error", NULL);
	if (!e)
		e = docker_json_str(v, "errorDetail", "message", NULL);
	if (e && !p->error[0])
		snprintf(p->error, sizeof(p->error), "%s", e);
	if (!e)
		progress_layer(p, v);
	yajl_tree_free(v);
	return 0;
}

/* `who` starts every message ("task \"web\"", or what pulls the infra_image)
 * and `timeout_opt` names the option timeout_ms came from; `cfg` (NULL for the
 * infra_image) gives the task's auth and takes the events. */
static int pull(docker_client *c, const docker_settings *s, const drover_task_config *cfg,
                const char *who, const char *image, const char *timeout_opt,
                long long timeout_ms, drover_err *err)
{
	const drover_value *conf = cfg ? cfg->config : NULL;
	const drover_value *auth = drover_value_get(conf, "auth");
	int soft_fail = drover_value_get_bool(conf, "auth_soft_fail", 0);
	char *repo = NULL, *tag = NULL, *erepo = NULL, *etag = NULL, *hdr = NULL, *path = NULL;
	const char *headers[2] = { NULL, NULL };
	docker_lines lines;
	docker_request req;
	progress prog;
	char msg[600];
	docker_auth creds;
	drover_err aerr = { "" };
	long long started_ms;
	int r;

	/* Nomad's order: the task's auth, auth.config, auth.helper. A source that
	 * fails is the task's failure, unless auth_soft_fail lets it go on
	 * without credentials. */
	if ((r = docker_auth_resolve(s, auth, image, &creds, &aerr)) < 0) {
		if (!soft_fail)
			return drover_err_set(err, r, "%s: registry credentials for \"%s\": %s",
			                      who, image, aerr.message);
		snprintf(msg, sizeof(msg), "auth_soft_fail: no registry credentials for %.200s (%.300s); "
		         "pulling without", image, aerr.message);
		emit(cfg, "Driver", msg);
		memset(&creds, 0, sizeof(creds));
	}
	r = docker_auth_header(&creds, &hdr);
	docker_auth_clear(&creds);
	if (r < 0 || docker_image_parse_ref(image, &repo, &tag) < 0 ||
	    !(erepo = docker_url_escape(repo)) || !(etag = docker_url_escape(tag)) ||
	    !(path = malloc(strlen(erepo) + strlen(etag) + 48))) {
		r = drover_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	sprintf(path, "/images/create?fromImage=%s%s%s", erepo, etag[0] ? "&tag=" : "", etag);
	snprintf(msg, sizeof(msg), "Downloading image %s", image);
	emit(cfg, "Driver", msg);
	for (int attempt = 0; attempt < 2; attempt++) {
		memset(&prog, 0, sizeof(prog));
		prog.cfg = cfg;
		prog.image = image;
		prog.last_emit_ms = mono_ms();
		memset(&lines, 0, sizeof(lines));
		lines.on_line = on_progress_line;
		lines.ud = &prog;
		memset(&req, 0, sizeof(req));
		req.method = "POST";
		req.path = path;
		req.upload_fd = -1;
		headers[0] = hdr;
		req.headers = hdr ? headers : NULL;
		req.timeout_ms = timeout_ms;
		req.idle_timeout_ms = s->pull_activity_timeout_ms;
		req.on_chunk = docker_lines_feed;
		req.ud = &lines;
		if (err)
			err->message[0] = '\0';
		started_ms = mono_ms();
		r = docker_http_do(c, &req, NULL, err);
		if (docker_lines_finish(&lines) < 0 && r == 0)
			r = -EPROTO;
		if (r == 0 && !prog.error[0])
			progress_emit(&prog, 1);
		if (r == -ETIMEDOUT && timeout_ms > 0 && mono_ms() - started_ms >= timeout_ms - 50)
			r = drover_err_set(err, r,
			                   "%s: pulling image \"%s\" was aborted: it took longer "
			                   "than %s (%llds)",
			                   who, image, timeout_opt, timeout_ms / 1000);
		else if (r == -ETIMEDOUT)
			r = drover_err_set(err, r,
			                   "%s: pulling image \"%s\" was aborted: no progress for "
			                   "pull_activity_timeout (%llds)",
			                   who, image, s->pull_activity_timeout_ms / 1000);
		else if (r < 0) {
			char inner[DROVER_ERR_MESSAGE_MAX];
			snprintf(inner, sizeof(inner), "%s", err ? err->message : "");
			r = drover_err_set(err, r, "%s: pulling image \"%s\": %s", who, image,
			                   inner);
		} else if (prog.error[0])
			r = drover_err_set(err, -EIO, "%s: pulling image \"%s\": %s", who, image,
			                   prog.error);
		/* auth_soft_fail: a refused login is retried once without credentials. */
		if (r < 0 && hdr && soft_fail && attempt == 0) {
			free(hdr);
			hdr = NULL;
			continue;
		}
		break;
	}
out:
	free(repo);
	free(tag);
	free(erepo);
	free(etag);
	free(hdr);
	free(path);
	return r;
}

/* Pulls in flight, by daemon and image: a task that needs an image another
 * task is pulling waits for that pull's outcome instead of starting a second
 * one (the daemon would run both transfers). Shared by every plugin instance
 * of the process; the client pointer tells daemons apart. */
typedef struct inflight {
	const docker_client *client;
	char *image;
	int done, result, waiters;
	struct inflight *next;
} inflight;

static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inflight_cond = PTHREAD_COND_INITIALIZER;
static inflight *inflight_list;

static int pull_merged(docker_client *c, const docker_settings *s,
                       const drover_task_config *cfg, const char *who, const char *image,
                       const char *timeout_opt, long long timeout_ms, drover_err *err)
{
	inflight *f, **pp;
	char msg[400];
	int r;

	pthread_mutex_lock(&inflight_lock);
	for (f = inflight_list; f; f = f->next)
		if (f->client == c && strcmp(f->image, image) == 0)
			break;
	if (f) {
		f->waiters++;
		pthread_mutex_unlock(&inflight_lock);
		snprintf(msg, sizeof(msg), "Waiting for image %.300s: another task is pulling it", image);
		emit(cfg, "Driver", msg);
		pthread_mutex_lock(&inflight_lock);
		while (!f->done)
			pthread_cond_wait(&inflight_cond, &inflight_lock);
		r = f->result;
		if (--f->waiters == 0 && !f->image) {
			/* The puller left already: the last waiter frees the entry. */
			free(f);
		}
		pthread_mutex_unlock(&inflight_lock);
		/* The other task's failure may be its own (its auth): try ours. */
		if (r < 0)
			r = pull(c, s, cfg, who, image, timeout_opt, timeout_ms, err);
		return r;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->image = strdup(image))) {
		free(f);
		pthread_mutex_unlock(&inflight_lock);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	f->client = c;
	f->next = inflight_list;
	inflight_list = f;
	pthread_mutex_unlock(&inflight_lock);

	r = pull(c, s, cfg, who, image, timeout_opt, timeout_ms, err);

	pthread_mutex_lock(&inflight_lock);
	for (pp = &inflight_list; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->done = 1;
	f->result = r;
	free(f->image);
	f->image = NULL;
	pthread_cond_broadcast(&inflight_cond);
	if (f->waiters == 0)
		free(f);
	pthread_mutex_unlock(&inflight_lock);
	return r;
}

/* The grammar of docker's reference package, loosely: lower-case path
 * components separated by '/', an optional registry host[:port] first, then
 * an optional :tag and @digest. The daemon checks it again; checking here
 * names the field instead of a "POST /images/create: invalid reference". */
int docker_image_ref_valid(const char *ref)
{
	const char *p = ref, *at = strchr(ref, '@'), *end;
	const char *slash, *colon, *first_slash = strchr(ref, '/');
	size_t n = strlen(ref);

	if (n == 0 || n > 255)
		return 0;
	end = at ? at : ref + n;
	if (at) {
		const char *d = at + 1, *dc = strchr(d, ':');
		if (!dc || dc == d || !dc[1])
			return 0;
		for (const char *q = d; q < dc; q++)
			if (!islower((unsigned char)*q) && !isdigit((unsigned char)*q) && !strchr("+.-_", *q))
				return 0;
		for (const char *q = dc + 1; *q; q++)
			if (!isxdigit((unsigned char)*q))
				return 0;
	}
	slash = NULL;
	for (const char *q = ref; q < end; q++)
		if (*q == '/')
			slash = q;
	colon = NULL;
	for (const char *q = slash ? slash : ref; q < end; q++)
		if (*q == ':')
			colon = q;
	if (colon) {
		size_t tl = (size_t)(end - colon - 1);
		if (tl == 0 || tl > 128 || colon[1] == '.' || colon[1] == '-')
			return 0;
		for (const char *q = colon + 1; q < end; q++)
			if (!isalnum((unsigned char)*q) && *q != '_' && *q != '.' && *q != '-')
				return 0;
		end = colon;
	}
	/* A first component with '.', ':' or "localhost" is a registry host. */
	if (first_slash && first_slash < end) {
		size_t hl = (size_t)(first_slash - ref);
		if (memchr(ref, '.', hl) || memchr(ref, ':', hl) || (hl == 9 && !strncmp(ref, "localhost", 9))) {
			if (hl == 0)
				return 0;
			for (const char *q = ref; q < first_slash; q++)
				if (!isalnum((unsigned char)*q) && !strchr(".-:[]", *q))
					return 0;
			p = first_slash + 1;
		}
	}
	/* Path components: [a-z0-9]+ joined by '.', '_', '__' or '-'+. */
	if (p >= end)
		return 0;
	for (const char *q = p; q < end; q++) {
		char ch = *q;
		int alnum = islower((unsigned char)ch) || isdigit((unsigned char)ch);
		if (alnum)
			continue;
		if (!strchr("._-/", ch))
			return 0;
		/* A separator is never first or last in a component. */
		if (q == p || q[-1] == '/' || q + 1 == end || q[1] == '/')
			return 0;
	}
	return 1;
}

static int load(docker_client *c, const drover_task_config *cfg, const char *rel,
                long long timeout_ms, drover_err *err)
{
	const char *task = cfg->task_name ? cfg->task_name : "?";
	char path[DROVER_PATH_MAX];
	docker_request req;
	docker_lines lines;
	progress prog;
	plugin_resolved res = PLUGIN_RESOLVED_INIT;
	char what[300], fdpath[64];
	struct stat st;
	int fd, r;

	/* The archive comes from the task's own local/ directory, never elsewhere. */
	if (rel[0] == '/' || strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0 ||
	    strstr(rel, "/../") || (strlen(rel) >= 3 && strcmp(rel + strlen(rel) - 3, "/..") == 0))
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": docker config \"load\": \"%.200s\" must be a path "
		                      "relative to the task's local/ directory, without \"..\"",
		                      task, rel);
	if ((size_t)snprintf(path, sizeof(path), "%s/local", cfg->task_dir) >= sizeof(path))
		return drover_err_set(err, -ENAMETOOLONG,
		                      "task \"%s\": docker config \"load\": the path is too long", task);
	/* local/ is the task's: no symlink anywhere in the path (O_NOFOLLOW
	 * covered only the last component), and nothing but a regular file, so
	 * that a FIFO planted there cannot block the open. */
	snprintf(what, sizeof(what), "task \"%s\": docker config \"load\"", task);
	if ((r = plugin_resolve_beneath(path, rel, PLUGIN_RESOLVE_DIR_OR_FILE, what, &res, err)) < 0)
		return r;
	if (!S_ISREG(res.st.st_mode)) {
		plugin_resolved_free(&res);
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": docker config \"load\": \"%.200s\" is not a "
		                      "regular file",
		                      task, rel);
	}
	snprintf(path, sizeof(path), "%s", res.path);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", res.fd);
	fd = open(fdpath, O_RDONLY | O_CLOEXEC);
	plugin_resolved_free(&res);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = drover_err_set(err, -EINVAL, "task \"%s\": docker config \"load\": cannot open "
		                   "\"%s\": %s", task, path, fd < 0 ? strerror(errno) : "not a "
		                   "regular file");
		if (fd >= 0)
			close(fd);
		return r;
	}
	memset(&prog, 0, sizeof(prog));
	memset(&lines, 0, sizeof(lines));
	lines.on_line = on_progress_line;
	lines.ud = &prog;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/images/load?quiet=1";
	req.content_type = "application/x-tar";
	req.upload_fd = fd;
	req.timeout_ms = timeout_ms;
	req.on_chunk = docker_lines_feed;
	req.ud = &lines;
	emit(cfg, "Driver", "Loading image");
	r = docker_http_do(c, &req, NULL, err);
	close(fd);
	if (docker_lines_finish(&lines) < 0 && r == 0)
		r = -EPROTO;
	if (r < 0) {
		char inner[DROVER_ERR_MESSAGE_MAX];
		snprintf(inner, sizeof(inner), "%s", err ? err->message : "");
		return drover_err_set(err, r, "task \"%s\": loading image from \"%s\": %s", task, path,
		                      inner);
	}
	if (prog.error[0])
		return drover_err_set(err, -EIO, "task \"%s\": loading image from \"%s\": %s", task,
		                      path, prog.error);
	return 0;
}

int docker_image_ensure(docker_client *c, const docker_settings *s,
                        const drover_task_config *cfg, char **image_id, drover_err *err)
{
	const char *image = drover_value_get_string(cfg->config, "image", NULL);
	const char *rel = drover_value_get_string(cfg->config, "load", NULL);
	const char *tos = drover_value_get_string(cfg->config, "image_pull_timeout", NULL);
	const char *task = cfg->task_name ? cfg->task_name : "?";
	long long timeout = s->image_pull_timeout_ms;
	drover_err probe;
	char *repo = NULL, *tag = NULL, who[300];
	int r, need_pull;

	if (!image || !image[0])
		return drover_err_set(err, -EINVAL, "task \"%s\": docker config \"image\" is required",
		                      task);
	if (tos && (docker_parse_duration_ms(tos, &timeout) < 0 || timeout <= 0))
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": docker config \"image_pull_timeout\": \"%.64s\" is "
		                      "not a positive duration (\"90s\", \"5m\")",
		                      task, tos);
	if (!docker_image_ref_valid(image))
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": docker config \"image\": \"%.200s\" is not a valid "
		                      "image reference ([registry[:port]/]name[:tag][@digest], the "
		                      "name in lower case)",
		                      task, image);
	if (rel && rel[0]) {
		if ((r = load(c, cfg, rel, timeout, err)) < 0)
			return r;
		return inspect_id(c, image, image_id, err);
	}
	if (docker_image_parse_ref(image, &repo, &tag) < 0)
		return drover_err_set(err, -ENOMEM, "out of memory");
	need_pull = drover_value_get_bool(cfg->config, "force_pull", 0) || strcmp(tag, "latest") == 0;
	free(repo);
	free(tag);
	if (!need_pull) {
		r = inspect_id(c, image, image_id, &probe);
		if (r == 0)
			return 0;
		if (r != -ENOENT)
			return drover_err_set(err, r, "task \"%s\": %s", task, probe.message);
	}
	snprintf(who, sizeof(who), "task \"%s\"", task);
	if ((r = pull_merged(c, s, cfg, who, image, "image_pull_timeout", timeout, err)) < 0) {
		char msg[DROVER_ERR_MESSAGE_MAX + 64];
		/* auth_soft_fail: a registry that refuses us leaves the copy the
		 * daemon already has, as a pull without credentials would. */
		if (!drover_value_get_bool(cfg->config, "auth_soft_fail", 0) ||
		    inspect_id(c, image, image_id, &probe) < 0)
			return r;
		snprintf(msg, sizeof(msg), "auth_soft_fail: %s; starting from the local image",
		         err ? err->message : "the pull failed");
		emit(cfg, "Driver", msg);
		return 0;
	}
	return inspect_id(c, image, image_id, err);
}

int docker_image_ensure_infra(docker_client *c, const docker_settings *s, const char *who,
                              char **image_id, drover_err *err)
{
	const char *image = s->infra_image;
	char *repo = NULL, *tag = NULL;
	drover_err probe;
	int r, latest;

	if (!image || !docker_image_ref_valid(image))
		return drover_err_set(err, -EINVAL,
		                      "%s: docker plugin option \"infra_image\": \"%.200s\" is not a "
		                      "valid image reference",
		                      who, image ? image : "");
	if (docker_image_parse_ref(image, &repo, &tag) < 0)
		return drover_err_set(err, -ENOMEM, "out of memory");
	latest = strcmp(tag, "latest") == 0;
	free(repo);
	free(tag);
	/* As Nomad: pulled only when absent or tagged "latest". */
	if (!latest) {
		r = inspect_id(c, image, image_id, &probe);
		if (r != -ENOENT)
			return r < 0 ? drover_err_set(err, r, "%s: %s", who, probe.message) : 0;
	}
	if ((r = pull_merged(c, s, NULL, who, image, "infra_image_pull_timeout",
	                     s->infra_image_pull_timeout_ms, err)) < 0)
		return r;
	return inspect_id(c, image, image_id, err);
}
