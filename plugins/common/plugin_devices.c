/* See plugin_devices.h. */
#include "plugin_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

const plugin_device_rule plugin_devices_allowed[] = {
	{ 'c', 1, 3, "rw" },    /* /dev/null */
	{ 'c', 1, 5, "rw" },    /* /dev/zero */
	{ 'c', 1, 7, "rw" },    /* /dev/full */
	{ 'c', 1, 8, "rw" },    /* /dev/random */
	{ 'c', 1, 9, "rw" },    /* /dev/urandom */
	{ 'c', 5, 0, "rw" },    /* /dev/tty */
	{ 'c', 5, 1, "rw" },    /* /dev/console */
	{ 'c', 5, 2, "rw" },    /* /dev/ptmx */
	{ 'c', 136, -1, "rw" }, /* /dev/pts/N */
	{ 0, 0, 0, NULL },
};

static int write_one(const char *dir, const char *file, const char *line)
{
	char path[4200];
	size_t len = strlen(line);
	ssize_t n;
	int fd, e;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC); /* cgroupfs files exist: no O_CREAT */
	if (fd < 0)
		return -errno;
	n = write(fd, line, len);
	e = n < 0 ? errno : 0;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int plugin_devices_v1_apply(const char *dir, drover_err *err)
{
	char line[96], num[2][24];
	size_t i;
	int r;

	if ((r = write_one(dir, "devices.deny", "a")) < 0)
		return drover_err_set(err, r, "cannot deny every device in the cgroup \"%s\": %s",
		                      dir, strerror(-r));
	for (i = 0; plugin_devices_allowed[i].type; i++) {
		const plugin_device_rule *d = &plugin_devices_allowed[i];
		if (d->major < 0)
			snprintf(num[0], sizeof(num[0]), "*");
		else
			snprintf(num[0], sizeof(num[0]), "%ld", d->major);
		if (d->minor < 0)
			snprintf(num[1], sizeof(num[1]), "*");
		else
			snprintf(num[1], sizeof(num[1]), "%ld", d->minor);
		snprintf(line, sizeof(line), "%c %s:%s %s", d->type, num[0], num[1], d->access);
		/* EPERM: the parent cgroup denies it (drover itself in a
		 * container); it stays denied for the task too. */
		if ((r = write_one(dir, "devices.allow", line)) < 0 && r != -EPERM)
			return drover_err_set(err, r, "cannot allow \"%s\" in the cgroup \"%s\": %s",
			                      line, dir, strerror(-r));
	}
	return 0;
}

/* ---------------------------------------------------------------- v2: BPF */

#define MAX_INSNS 256

typedef struct prog {
	struct bpf_insn insn[MAX_INSNS];
	size_t n;
} prog;

static void emit(prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn *i;

	if (p->n >= MAX_INSNS)
		return;
	i = &p->insn[p->n++];
	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

static uint32_t access_bits(const char *access)
{
	uint32_t a = 0;

	for (; *access; access++)
		a |= *access == 'r' ? BPF_DEVCG_ACC_READ
		     : *access == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *access == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return a;
}

/* The program, as runc's devicefilter writes it:
 *   r2 = access, r3 = type, r4 = major, r5 = minor
 *   for each rule: if every field matches and the access asked is within
 *   the rule's, return 1 (allow)
 *   return 0 (EPERM) */
static void build(prog *p)
{
	size_t i;

	p->n = 0;
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	emit(p, BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
	emit(p, BPF_ALU64 | BPF_RSH | BPF_K, 2, 0, 0, 16);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 4, 1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	for (i = 0; plugin_devices_allowed[i].type; i++) {
		const plugin_device_rule *d = &plugin_devices_allowed[i];
		size_t len = 6 + (d->major >= 0) + (d->minor >= 0);
		size_t start = p->n, next = start + len;
		int32_t type = d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;

#define SKIP ((int16_t)(next - (p->n + 1)))
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 3, 0, SKIP, type);
		if (d->major >= 0)
			emit(p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, SKIP, (int32_t)d->major);
		if (d->minor >= 0)
			emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, SKIP, (int32_t)d->minor);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 2, 0, 0);
		emit(p, BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0,
		     (int32_t)(~access_bits(d->access) & 0xffff));
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, SKIP, 0);
#undef SKIP
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int plugin_devices_v2_attach(const char *dir, drover_err *err)
{
	char log[8192];
	union bpf_attr attr;
	prog p;
	int pfd, cfd, r = 0;

	build(&p);
	if (p.n >= MAX_INSNS)
		return drover_err_set(err, -E2BIG, "the device allow list is too long");
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p.insn;
	attr.insn_cnt = (uint32_t)p.n;
	attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
	pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (pfd < 0 && errno == EACCES) {
		/* The verifier refused it: ask again for its reasons. */
		log[0] = '\0';
		attr.log_level = 1;
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof(log);
		pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	}
	if (pfd < 0)
		return drover_err_set(err, -errno, "cannot load the device program for the cgroup "
		                      "\"%s\": %s%s%.300s", dir, strerror(errno),
		                      attr.log_level ? ": " : "", attr.log_level ? log : "");
	cfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		r = drover_err_set(err, -errno, "cannot open the cgroup \"%s\": %s", dir,
		                   strerror(errno));
		close(pfd);
		return r;
	}
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cfd;
	attr.attach_bpf_fd = (uint32_t)pfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		r = drover_err_set(err, -errno, "cannot attach the device program to the cgroup "
		                   "\"%s\": %s", dir, strerror(errno));
	close(cfd);
	close(pfd); /* the attachment holds the program */
	return r;
}
