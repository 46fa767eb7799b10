/* The subcommands of `drover`; each takes the arguments after its name. */
#ifndef DROVER_HOST_COMMANDS_H
#define DROVER_HOST_COMMANDS_H

#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "display.h"

int drover_cmd_plugins(int argc, char **argv);
int drover_cmd_fingerprint(int argc, char **argv);
int drover_cmd_validate(int argc, char **argv);
int drover_cmd_run(int argc, char **argv);
int drover_cmd_status(int argc, char **argv);
int drover_cmd_wait(int argc, char **argv);
int drover_cmd_stop(int argc, char **argv);
int drover_cmd_signal(int argc, char **argv);
int drover_cmd_logs(int argc, char **argv);
int drover_cmd_exec(int argc, char **argv);
int drover_cmd_gc(int argc, char **argv);
int drover_cmd_agent(int argc, char **argv);

/* Exit codes shared by every subcommand. */
enum {
	DROVER_EXIT_OK = 0,
	DROVER_EXIT_FAILURE = 1, /* the job or a task failed, validation found errors */
	DROVER_EXIT_USAGE = 2,   /* bad flags or arguments, unreadable config */
};

/* yajl_gen helpers for the -json outputs. */
static inline void drover_gen_string(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

/* yajl escapes C0 controls in strings but writes the C1 ones (U+0080..U+009F,
 * CSI and OSC to some terminals) raw: -json output on a terminal gets them as
 * \u escapes too. They can only occur inside strings, so the swap is safe. */
static inline void drover_gen_print(yajl_gen g)
{
	const unsigned char *buf;
	size_t len, start = 0;
	yajl_gen_get_buf(g, &buf, &len);
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != 0xc2 || buf[i + 1] < 0x80 || buf[i + 1] > 0x9f)
			continue;
		fwrite(buf + start, 1, i - start, stdout);
		printf("\\u%04x", buf[i + 1]);
		start = i + 2;
		i++;
	}
	fwrite(buf + start, 1, len - start, stdout);
	fputc('\n', stdout);
}

#endif
