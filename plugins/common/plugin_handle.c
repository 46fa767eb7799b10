/* Encoding of the raw_exec and exec handles; the layout is in plugin_handle.h. Decoding
 * reads only within `len` and checks every length before using it: the blob
 * comes from a database on disk and may be anything. */
#include "plugin_handle.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LEN 8
#define HEADER_LEN (MAGIC_LEN + 4 + 4)
#define FIXED_BODY_LEN (4 + 4 + 8 + 8 + 8 + 4)

static uint32_t fnv1a(const unsigned char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
	int i;
	for (i = 0; i < 4; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
	int i;
	for (i = 0; i < 8; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v = 0;
	int i;
	for (i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;
	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int plugin_handle_encode(const char *magic, const drover_proc *proc, void **data, size_t *len)
{
	size_t dir_len = strnlen(proc->state_dir, sizeof(proc->state_dir));
	size_t body = FIXED_BODY_LEN + dir_len;
	size_t total = HEADER_LEN + body + 4;
	unsigned char *buf = malloc(total), *p;

	if (!buf)
		return -ENOMEM;
	p = buf;
	memcpy(p, magic, MAGIC_LEN);
	p += MAGIC_LEN;
	p = put_u32(p, PLUGIN_HANDLE_VERSION);
	p = put_u32(p, (uint32_t)body);
	p = put_u32(p, (uint32_t)proc->pid);
	p = put_u32(p, (uint32_t)proc->shim_pid);
	p = put_u64(p, proc->pid_start_time);
	p = put_u64(p, proc->shim_start_time);
	p = put_u64(p, (uint64_t)proc->started_at_ms);
	p = put_u32(p, (uint32_t)dir_len);
	memcpy(p, proc->state_dir, dir_len);
	p += dir_len;
	put_u32(p, fnv1a(buf, (size_t)(p - buf)));
	*data = buf;
	*len = total;
	return 0;
}

int plugin_handle_decode(const char *driver, const char *magic, const void *data, size_t len,
                         drover_proc *proc, drover_err *err)
{
	const unsigned char *b = data, *p;
	uint32_t version, body, dir_len;
	drover_proc out;

	if (!data || len < HEADER_LEN)
		return drover_err_set(err, -EINVAL,
		                      "%s handle is truncated (%zu bytes): the task cannot be "
		                      "recovered",
		                      driver, len);
	if (memcmp(b, magic, MAGIC_LEN) != 0)
		return drover_err_set(err, -EINVAL,
		                      "not a %s handle (bad magic): it was written by another "
		                      "driver or damaged", driver);
	version = get_u32(b + MAGIC_LEN);
	if (version != PLUGIN_HANDLE_VERSION)
		return drover_err_set(err, -EINVAL,
		                      "%s handle version %u is not supported by this %s "
		                      "(it reads version %u): recover it with the drover that started it",
		                      driver, version, driver, PLUGIN_HANDLE_VERSION);
	body = get_u32(b + MAGIC_LEN + 4);
	if (body < FIXED_BODY_LEN || body > FIXED_BODY_LEN + DROVER_PATH_MAX - 1 ||
	    len != HEADER_LEN + (size_t)body + 4)
		return drover_err_set(err, -EINVAL,
		                      "%s handle is truncated or damaged (%zu bytes, body length "
		                      "%u): the task cannot be recovered",
		                      driver, len, body);
	if (get_u32(b + HEADER_LEN + body) != fnv1a(b, HEADER_LEN + body))
		return drover_err_set(err, -EINVAL,
		                      "%s handle is damaged (checksum mismatch): the task cannot "
		                      "be recovered", driver);
	p = b + HEADER_LEN;
	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	out.pid = (int)get_u32(p);
	out.shim_pid = (int)get_u32(p + 4);
	out.pid_start_time = get_u64(p + 8);
	out.shim_start_time = get_u64(p + 16);
	out.started_at_ms = (long long)get_u64(p + 24);
	dir_len = get_u32(p + 32);
	if (dir_len != body - FIXED_BODY_LEN || dir_len == 0 || p[FIXED_BODY_LEN] != '/' ||
	    memchr(p + FIXED_BODY_LEN, '\0', dir_len) || out.pid <= 0 || out.shim_pid <= 0)
		return drover_err_set(err, -EINVAL,
		                      "%s handle holds impossible values (pid %d, shim pid %d, "
		                      "state dir length %u): the task cannot be recovered",
		                      driver, out.pid, out.shim_pid, dir_len);
	memcpy(out.state_dir, p + FIXED_BODY_LEN, dir_len);
	out.state_dir[dir_len] = '\0';
	*proc = out;
	return 0;
}
