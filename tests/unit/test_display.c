/* host/display.c: job text made safe for a terminal. */
#include <string.h>

#include <criterion/criterion.h>

#include "display.h"

Test(display, control_characters_become_hex_escapes)
{
	char buf[256];
	drover_display_escape(buf, sizeof(buf), "a\x1b[2Jb\x1b]0;t\x07\nc\x7f", 0, 0);
	cr_assert_str_eq(buf, "a\\x1b[2Jb\\x1b]0;t\\x07\\x0ac\\x7f");
}

Test(display, utf8_c1_controls_are_escaped_and_other_utf8_kept)
{
	char buf[256];
	/* U+009B (CSI) and U+009D (OSC) go; é (C3 A9) and a no-break space
	 * (C2 A0) stay. */
	drover_display_escape(buf, sizeof(buf), "\xc2\x9b" "31m\xc2\x9d" "x \xc3\xa9\xc2\xa0", 0, 0);
	cr_assert_str_eq(buf, "\\xc2\\x9b31m\\xc2\\x9dx \xc3\xa9\xc2\xa0");
}

Test(display, quotes_are_escaped_only_when_asked)
{
	char buf[64];
	drover_display_escape(buf, sizeof(buf), "say \"hi\\\"", 0, 1);
	cr_assert_str_eq(buf, "say \\\"hi\\\\\\\"");
	drover_display_escape(buf, sizeof(buf), "say \"hi\"", 0, 0);
	cr_assert_str_eq(buf, "say \"hi\"");
}

Test(display, cut_text_is_marked_and_never_overflows)
{
	char buf[16];
	drover_display_escape(buf, sizeof(buf), "abcdefghijklmnopqrstuvwxyz", 0, 0);
	cr_assert_lt(strlen(buf), sizeof(buf));
	cr_assert_str_eq(buf, "abcdefghijkl...");
	/* An escape is never split at the cut. */
	drover_display_escape(buf, sizeof(buf), "abcdefghij\x1b\x1b", 0, 0);
	cr_assert_str_eq(buf, "abcdefghij...");
	char big[64];
	drover_display_escape(big, sizeof(big), "abcdefgh", 4, 0);
	cr_assert_str_eq(big, "abcd...");
}

Test(display, ring_buffers_keep_several_printf_arguments_apart)
{
	const char *a = drover_display("one\n");
	const char *b = drover_display("two\t");
	const char *c = drover_display(NULL);
	cr_assert_str_eq(a, "one\\x0a");
	cr_assert_str_eq(b, "two\\x09");
	cr_assert_str_eq(c, "");
}
