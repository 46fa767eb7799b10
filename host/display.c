#include "config.h"

#include "display.h"

#include <stdio.h>
#include <string.h>

/* The longest text one escaped character becomes ("\\x9b" twice for C1). */
#define WIDEST 8

char *drover_display_escape(char *out, size_t len, const char *s, size_t max, int quotes)
{
	size_t o = 0, n = strlen(s), i;

	if (len == 0)
		return out;
	if (max == 0 || max > n)
		max = n;
	for (i = 0; i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		char piece[WIDEST + 1];
		size_t plen;

		if (quotes && (ch == '"' || ch == '\\')) {
			piece[0] = '\\';
			piece[1] = (char)ch;
			plen = 2;
		} else if (ch < 0x20 || ch == 0x7f) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", ch);
		} else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		           (unsigned char)s[i + 1] <= 0x9f) {
			/* U+0080..U+009F: CSI (U+009B) and OSC (U+009D) to some terminals. */
			plen = (size_t)snprintf(piece, sizeof(piece), "\\xc2\\x%02x",
			                        (unsigned char)s[i + 1]);
			i++;
		} else {
			piece[0] = (char)ch;
			plen = 1;
		}
		if (o + plen + 4 > len) {
			/* No room for this piece and the "..." after it. */
			break;
		}
		memcpy(out + o, piece, plen);
		o += plen;
	}
	if (i < n && o + 4 <= len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *drover_display(const char *s)
{
	static __thread char ring[8][2048];
	static __thread unsigned next;
	char *buf = ring[next++ % 8];

	return drover_display_escape(buf, sizeof(ring[0]), s ? s : "", 0, 0);
}
