/* The probe and fingerprint caches (see loader_cache.h for what and why). */
#include "config.h"

#include "loader_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

#define CACHE_MAGIC "drover-plugin-cache 1"
#define CACHE_SUBDIR "plugin-cache"
/* A fingerprint is a few KiB: anything much larger is not ours. */
#define CACHE_FILE_MAX (1024 * 1024)

static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cache_dir; /* <data_dir>/plugin-cache, or NULL: off */

void drover_loader_cache_set_data_dir(const char *data_dir)
{
	char *dir = NULL;
	if (data_dir && asprintf(&dir, "%s/%s", data_dir, CACHE_SUBDIR) < 0)
		dir = NULL;
	pthread_mutex_lock(&dir_lock);
	free(cache_dir);
	cache_dir = dir;
	pthread_mutex_unlock(&dir_lock);
}

long long drover_fingerprint_cache_max_age_ms(void)
{
	const char *s = getenv("DROVER_FINGERPRINT_CACHE_MAX_AGE_MS");
	if (s && *s) {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0 && v <= 24LL * 3600 * 1000)
			return v;
	}
	return DROVER_FINGERPRINT_CACHE_DEFAULT_MAX_AGE_MS;
}

void drover_plugin_ident_from_stat(drover_plugin_ident *id, const struct stat *st)
{
	*id = (drover_plugin_ident){
		.dev = (unsigned long long)st->st_dev,
		.ino = (unsigned long long)st->st_ino,
		.size = (unsigned long long)st->st_size,
		.mtime_sec = (long long)st->st_mtim.tv_sec,
		.mtime_nsec = (long long)st->st_mtim.tv_nsec,
	};
}

/* FNV-1a, 64 bits: a key, not a defence (the directory is ours alone). */
static unsigned long long fnv1a(const char *s, size_t len, unsigned long long h)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

unsigned long long drover_plugin_options_hash(const drover_value *options)
{
	size_t len = 0;
	if (!options)
		return fnv1a("null", 4, FNV_INIT);
	char *text = drover_json_text(options, &len);
	if (!text)
		return 0; /* never equal to a real hash in practice; at worst one more probe */
	unsigned long long h = fnv1a(text, len, FNV_INIT);
	free(text);
	return h;
}

/* ------------------------------------------------------------- encoding */

/* A file is a sequence of fields, each "<length>:<bytes>\n", so that any byte
 * of a description or attribute survives and a torn file is noticed. */
static void put(FILE *f, const char *s)
{
	fprintf(f, "%zu:%s\n", strlen(s), s);
}

static void put_num(FILE *f, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	put(f, buf);
}

typedef struct reader {
	const char *p, *end;
	int bad;
} reader;

/* The next field, NUL-terminated in place of its newline; NULL (and bad)
 * when the file does not go on as written. */
static char *get(reader *r)
{
	if (r->bad)
		return NULL;
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(r->p, &end, 10);
	if (errno || end == r->p || end >= r->end || *end != ':' || r->p[0] < '0' || r->p[0] > '9' ||
	    n > (unsigned long)(r->end - end - 1) || end[1 + n] != '\n') {
		r->bad = 1;
		return NULL;
	}
	char *s = end + 1;
	s[n] = '\0';
	if (strlen(s) != n) { /* a NUL inside: not what we wrote */
		r->bad = 1;
		return NULL;
	}
	r->p = s + n + 1;
	return s;
}

static long long get_num(reader *r)
{
	char *s = get(r), *end = NULL;
	if (!s)
		return 0;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !*s || *end)
		r->bad = 1;
	return v;
}

static unsigned long long get_unum(reader *r)
{
	char *s = get(r), *end = NULL;
	if (!s)
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || *s == '-')
		r->bad = 1;
	return v;
}

/* The key fields every record starts with. */
static void put_key(FILE *f, const char *kind, const char *path, const drover_plugin_ident *id,
                    unsigned long long options_hash)
{
	put(f, CACHE_MAGIC);
	put(f, kind);
	put(f, path);
	put_num(f, DROVER_ABI_MAJOR);
	put_num(f, DROVER_ABI_MINOR);
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", id->dev);
	put(f, buf);
	snprintf(buf, sizeof(buf), "%llu", id->ino);
	put(f, buf);
	snprintf(buf, sizeof(buf), "%llu", id->size);
	put(f, buf);
	put_num(f, id->mtime_sec);
	put_num(f, id->mtime_nsec);
	snprintf(buf, sizeof(buf), "%llu", options_hash);
	put(f, buf);
}

/* 1 when the record is of `kind`, for `path` as `id` identifies it; its
 * options hash into *options_hash. */
static int key_matches(reader *r, const char *kind, const char *path, const drover_plugin_ident *id,
                       unsigned long long *options_hash)
{
	const char *magic = get(r), *k = get(r), *p = get(r);
	long long major = get_num(r), minor = get_num(r);
	drover_plugin_ident got;
	got.dev = get_unum(r);
	got.ino = get_unum(r);
	got.size = get_unum(r);
	got.mtime_sec = get_num(r);
	got.mtime_nsec = get_num(r);
	*options_hash = get_unum(r);
	return !r->bad && strcmp(magic, CACHE_MAGIC) == 0 && strcmp(k, kind) == 0 &&
	       strcmp(p, path) == 0 && major == DROVER_ABI_MAJOR && minor == DROVER_ABI_MINOR &&
	       got.dev == id->dev && got.ino == id->ino && got.size == id->size &&
	       got.mtime_sec == id->mtime_sec && got.mtime_nsec == id->mtime_nsec;
}

/* ---------------------------------------------------------------- files */

/* "<kind>-<hash of the plugin's path>": one file per plugin file. */
static void file_name(const char *kind, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%016llx", kind, fnv1a(path, strlen(path), FNV_INIT));
}

static char *dir_path(void)
{
	pthread_mutex_lock(&dir_lock);
	char *dir = cache_dir ? strdup(cache_dir) : NULL;
	pthread_mutex_unlock(&dir_lock);
	return dir;
}

/* Only what this user alone can have written: ours, no access for group or
 * others. */
static int ours_alone(const struct stat *st)
{
	return st->st_uid == geteuid() && (st->st_mode & 077) == 0;
}

/* The cache directory, opened without following a symlink and checked;
 * created (0700) when `create` and absent. -1 when there is none we trust. */
static int open_dir(int create)
{
	_cleanup_(drover_freep) char *dir = dir_path();
	if (!dir)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || !ours_alone(&st)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole file, NUL-terminated, when it is a regular file of ours alone with
 * one link; NULL otherwise. */
static char *read_file(const char *name, size_t *len)
{
	int dfd = open_dir(0);
	if (dfd < 0)
		return NULL;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ours_alone(&st) && st.st_nlink == 1 &&
	    st.st_size > 0 && st.st_size <= CACHE_FILE_MAX &&
	    (buf = malloc((size_t)st.st_size + 1))) {
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got != (size_t)st.st_size) {
			free(buf);
			buf = NULL;
		} else {
			buf[got] = '\0';
			*len = got;
		}
	}
	close(fd);
	return buf;
}

/* Replaces `name` with `data` atomically: a reader sees the old file or the
 * new one, never a part. */
static void write_file(const char *name, const char *data, size_t len)
{
	int dfd = open_dir(1);
	if (dfd < 0)
		return;
	char tmp[128];
	static unsigned counter;
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%u", name, (long)getpid(),
	         __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(dfd);
		return;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	/* The umask may have taken bits off 0600, never added: fchmod makes it
	 * exact. A rename over a file that is not ours (a planted symlink or a
	 * file of another owner) replaces it: renameat never follows. */
	if (close(fd) != 0 || done != len || fchmodat(dfd, tmp, 0600, AT_SYMLINK_NOFOLLOW) < 0 ||
	    renameat(dfd, tmp, dfd, name) < 0)
		unlinkat(dfd, tmp, 0);
	close(dfd);
}

/* ---------------------------------------------------------------- probe */

int drover_probe_cache_lookup(const char *path, const drover_plugin_ident *id, char *name,
                              size_t len, unsigned long long *options_hash)
{
	char file[64];
	size_t size = 0;
	file_name("probe", path, file, sizeof(file));
	_cleanup_(drover_freep) char *text = read_file(file, &size);
	if (!text)
		return 0;
	reader r = {text, text + size, 0};
	if (!key_matches(&r, "probe", path, id, options_hash))
		return 0;
	const char *driver = get(&r), *end = get(&r);
	if (r.bad || strcmp(end, "end") != 0 || r.p != r.end || !driver[0] ||
	    strlen(driver) >= len)
		return 0;
	memcpy(name, driver, strlen(driver) + 1);
	return 1;
}

void drover_probe_cache_store(const drover_plugin *p)
{
	if (!p->cacheable)
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	put_key(f, "probe", p->path, &p->ident, p->options_hash);
	put(f, p->desc->name);
	put(f, "end");
	if (fclose(f) == 0) {
		char file[64];
		file_name("probe", p->path, file, sizeof(file));
		write_file(file, text, len);
	}
	free(text);
}

/* ---------------------------------------------------------- fingerprint */

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void drover_fingerprint_cache_free(struct drover_fingerprint_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->count; i++) {
		free(c->keys[i]);
		free(c->values[i]);
	}
	free(c->keys);
	free(c->values);
	free(c);
}

void drover_fingerprint_cache_save(const drover_plugin *p, const struct drover_fingerprint_cache *c)
{
	if (!p->cacheable || !c->complete)
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	put_key(f, "fingerprint", p->path, &p->ident, p->options_hash);
	put_num(f, wall_ms());
	put_num(f, c->rc);
	put(f, c->err.message);
	put_num(f, (long long)c->health);
	put(f, c->description);
	put_num(f, (long long)c->count);
	for (size_t i = 0; i < c->count; i++) {
		put(f, c->keys[i]);
		put(f, c->values[i]);
	}
	put(f, "end");
	if (fclose(f) == 0) {
		char file[64];
		file_name("fingerprint", p->path, file, sizeof(file));
		write_file(file, text, len);
	}
	free(text);
}

/* A copy of field `s` into `dst` of `size`, or bad when it does not fit. */
static void copy_field(reader *r, const char *s, char *dst, size_t size)
{
	if (!s || strlen(s) >= size) {
		r->bad = 1;
		return;
	}
	memcpy(dst, s, strlen(s) + 1);
}

struct drover_fingerprint_cache *drover_fingerprint_cache_load(const drover_plugin *p)
{
	long long max_age = drover_fingerprint_cache_max_age_ms();
	if (!p->cacheable || max_age <= 0)
		return NULL;
	char file[64];
	size_t size = 0;
	file_name("fingerprint", p->path, file, sizeof(file));
	_cleanup_(drover_freep) char *text = read_file(file, &size);
	if (!text)
		return NULL;
	reader r = {text, text + size, 0};
	unsigned long long options_hash = 0;
	if (!key_matches(&r, "fingerprint", p->path, &p->ident, &options_hash) ||
	    options_hash != p->options_hash)
		return NULL;
	long long written = get_num(&r), age = wall_ms() - written;
	/* A stamp from the future (a clock set back) is as good as expired. */
	if (r.bad || age < 0 || age > max_age)
		return NULL;
	struct drover_fingerprint_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rc = (int)get_num(&r);
	copy_field(&r, get(&r), c->err.message, sizeof(c->err.message));
	long long health = get_num(&r);
	c->health = (drover_health)health;
	copy_field(&r, get(&r), c->description, sizeof(c->description));
	long long count = get_num(&r);
	/* Only a healthy answer is reused: a stale one costs at most the
	 * driver's own error at start, while a stale "unhealthy" would refuse a
	 * job the driver can run now (a daemon back up) for the whole max age. */
	if (r.bad || c->rc != 0 || health != DROVER_HEALTH_HEALTHY || count < 0 || count > 10000) {
		drover_fingerprint_cache_free(c);
		return NULL;
	}
	c->keys = calloc((size_t)count + 1, sizeof(*c->keys));
	c->values = calloc((size_t)count + 1, sizeof(*c->values));
	if (!c->keys || !c->values) {
		drover_fingerprint_cache_free(c);
		return NULL;
	}
	for (long long i = 0; i < count && !r.bad; i++) {
		const char *k = get(&r), *v = get(&r);
		if (r.bad)
			break;
		c->keys[c->count] = strdup(k);
		c->values[c->count] = strdup(v);
		if (!c->keys[c->count] || !c->values[c->count]) {
			free(c->keys[c->count]);
			free(c->values[c->count]);
			r.bad = 1;
			break;
		}
		c->count++;
	}
	const char *end = get(&r);
	if (r.bad || strcmp(end, "end") != 0 || r.p != r.end) {
		drover_fingerprint_cache_free(c);
		return NULL;
	}
	c->complete = 1;
	return c;
}
