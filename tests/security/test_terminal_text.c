/* Issue 11, attack 8: job text reaching the terminal raw. A job whose command,
 * image or names hold ESC[2J (clear the screen), an OSC title sequence
 * (ESC]0;...BEL) and a newline followed by a forged line is run through
 * `drover run` and `drover status`: no control byte of the job may reach
 * their output, which shows the text escaped (\x1b) instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tests/integration/cli_harness.h"
#include "tests/test_support.h"

#define DEADLINE_MS 60000

/* As JSON string content: clear screen, retitle, then a line that looks like
 * drover's own. */
#define HOSTILE "\\u001b[2J\\u001b]0;pwned\\u0007\\nFORGED Task started by client\\u009b31m"

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(terminal_text, .init = setup, .fini = teardown, .timeout = 180);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

static void drover(cli_result *r, const char *cmd, const char *a1, const char *a2)
{
	const char *argv[] = {cmd, "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, a1, a2, NULL};
	cli_run(r, DEADLINE_MS, argv);
}

/* No C0 control but newline, no DEL, no UTF-8 C1 control (U+0080..U+009F);
 * no line that begins with the forged text. */
static void assert_clean(const char *what, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		cr_assert(*p == '\n' || (*p >= 0x20 && *p != 0x7f),
		          "%s: raw control byte 0x%02x at offset %zu", what, *p,
		          (size_t)(p - (const unsigned char *)text));
		cr_assert(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f),
		          "%s: raw C1 control at offset %zu", what, (size_t)(p - (const unsigned char *)text));
	}
	cr_assert_null(strstr(text, "\nFORGED"), "%s: a forged line: %s", what, text);
	cr_assert(strncmp(text, "FORGED", 6) != 0, "%s: a forged line: %s", what, text);
}

static void assert_run_and_status_clean(const char *job, const char *needle)
{
	cli_result r;
	drover(&r, "run", job, NULL);
	assert_clean("run stdout", r.out);
	assert_clean("run stderr", r.err);
	cr_assert(strstr(r.out, needle) || strstr(r.err, needle),
	          "the hostile text is shown escaped (%s): %s %s", needle, r.out, r.err);
	cli_result_clear(&r);
	const char *views[][2] = {{NULL, NULL}, {"-json", NULL}};
	for (size_t i = 0; i < 2; i++) {
		drover(&r, "status", views[i][0], views[i][1]);
		cr_assert_eq(r.exit_code, 0, "%s", r.err);
		assert_clean("status", r.out);
		assert_clean("status stderr", r.err);
		cli_result_clear(&r);
	}
	/* The allocation in detail: its events carry the hostile text. */
	drover(&r, "status", "evil", NULL);
	const char *row = strstr(r.out, "\nAllocations\n");
	cr_assert(row, "%s %s", r.out, r.err);
	row = strchr(row + 13, '\n') + 1;
	char id[9];
	snprintf(id, sizeof(id), "%.8s", row);
	cli_result_clear(&r);
	drover(&r, "status", id, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	assert_clean("status ALLOC", r.out);
	cr_assert(strstr(r.out, needle), "the event shows the text escaped: %s", r.out);
	cli_result_clear(&r);
}

Test(terminal_text, raw_exec_command_is_escaped_in_run_and_status)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"evil\", \"Type\": \"batch\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   "  \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},\n"
	                   "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
	                   "   \"Config\": {\"command\": \"%s/" HOSTILE "\"}}]}]}}\n",
	                   env.root) > 0);
	char *job = cli_write_file(&env, "evil.json", text);
	assert_run_and_status_clean(job, "\\x1b[2J\\x1b]0;pwned\\x07");
	free(text);
	free(job);
}

Test(terminal_text, docker_image_is_escaped_in_run_and_status)
{
	drover_test_require(access("/var/run/docker.sock", F_OK) == 0, "dockerd (/var/run/docker.sock)");
	const char *text =
		"{\"Job\": {\"ID\": \"evil\", \"Type\": \"batch\",\n"
		" \"TaskGroups\": [{\"Name\": \"g\",\n"
		"  \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},\n"
		"  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"docker\",\n"
		"   \"Config\": {\"image\": \"127.0.0.1:5000/operators-" HOSTILE "\"}}]}]}}\n";
	char *job = cli_write_file(&env, "evil.json", text);
	assert_run_and_status_clean(job, "\\x1b[2J");
	free(job);
}

/* Names are refused at validation; the refusal names them escaped. */
Test(terminal_text, hostile_names_are_refused_and_shown_escaped)
{
	const char *text =
		"{\"Job\": {\"ID\": \"j" HOSTILE "\", \"Type\": \"batch\",\n"
		" \"TaskGroups\": [{\"Name\": \"g" HOSTILE "\",\n"
		"  \"Tasks\": [{\"Name\": \"t" HOSTILE "\", \"Driver\": \"raw_exec\",\n"
		"   \"Config\": {\"command\": \"/bin/true\"}}]}]}}\n";
	char *job = cli_write_file(&env, "names.json", text);
	cli_result r;
	drover(&r, "run", job, NULL);
	cr_assert_neq(r.exit_code, 0, "hostile names were accepted: %s", r.out);
	assert_clean("run stdout", r.out);
	assert_clean("run stderr", r.err);
	cr_assert(strstr(r.err, "\\x1b[2J"), "the refusal shows the name escaped: %s", r.err);
	cli_result_clear(&r);
	drover(&r, "validate", job, NULL);
	assert_clean("validate stderr", r.err);
	cli_result_clear(&r);
	free(job);
}
