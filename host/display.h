/* Job-supplied text made safe for a terminal. Job files, task names, commands,
 * image names and driver messages come from people drover does not trust: an
 * ESC[2J, an OSC title sequence or a newline printed raw would clear the
 * operator's screen, retitle the terminal or forge an output line. */
#ifndef DROVER_HOST_DISPLAY_H
#define DROVER_HOST_DISPLAY_H

#include <stddef.h>

/* Writes `s` into out (NUL-ended, never more than `len` bytes) with C0 control
 * characters, DEL and the C1 controls of UTF-8 (U+0080..U+009F) as \xNN, and,
 * when `quotes` is set, '"' and '\\' backslashed so the text can sit between
 * quotes. At most `max` bytes of s are shown (0: as many as fit); a cut is
 * marked "...". Returns out. */
char *drover_display_escape(char *out, size_t len, const char *s, size_t max, int quotes);

/* drover_display_escape(s, no cut, no quote escaping) into one of a few
 * per-thread buffers, for printf arguments: the result stays valid until the
 * same thread has made 8 more calls. NULL shows as "". */
const char *drover_display(const char *s);

#endif
