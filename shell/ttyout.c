/*
 * Terminal safety for log output.
 *
 * Invariants:
 * 1. Only these reach the terminal: printable ASCII, tab, newline,
 *    carriage return, UTF-8 sequences that are not C1 controls, and SGR
 *    (ESC [ digits and ; m: colours and attributes).
 * 2. Everything else that a terminal acts on is dropped whole: other CSI
 *    sequences (cursor, screen, modes such as bracketed paste), OSC
 *    (titles, clipboard, hyperlinks), DCS, APC, PM, SOS, other escapes,
 *    the other C0 controls and DEL, and C1 controls, raw (0x80-0x9f
 *    outside UTF-8) or UTF-8 encoded (U+0080-U+009F, which xterm obeys).
 * 3. A sequence split across calls is judged whole; an unterminated
 *    string ends after TTYOUT_STR_MAX bytes, so output cannot be
 *    swallowed for good.
 * Output to a pipe or file never goes through here: it stays byte-exact.
 */
#include <string.h>

#include "ttyout.h"

enum {
	S_TEXT,		/* ordinary text */
	S_ESC,		/* after ESC */
	S_CSI,		/* in ESC [ ... */
	S_STR,		/* in OSC/DCS/APC/PM/SOS, dropping */
	S_STR_ESC	/* ESC inside a string: maybe ST */
};

void
ttyout_init(struct ttyout *t)
{
	memset(t, 0, sizeof(*t));
}

/* seq holds "[" params "m" with params digits and ';' only. */
static int
sgr(const unsigned char *seq, size_t n)
{
	size_t i;

	if (n < 2 || n > TTYOUT_SEQ_MAX || seq[n - 1] != 'm')
		return 0;
	for (i = 1; i < n - 1; i++)
		if ((seq[i] < '0' || seq[i] > '9') && seq[i] != ';')
			return 0;
	return 1;
}

static size_t
csi_byte(struct ttyout *t, unsigned char c, unsigned char *out)
{
	size_t n = 0;

	if (t->n < sizeof(t->seq))
		t->seq[t->n] = c;
	t->n++;
	if (c < 0x40 || c > 0x7e) {	/* parameter or intermediate byte */
		if (t->n > TTYOUT_STR_MAX)
			t->state = S_TEXT;
		return 0;
	}
	if (sgr(t->seq, t->n)) {
		out[n++] = 0x1b;
		memcpy(out + n, t->seq, t->n);
		n += t->n;
	}
	t->state = S_TEXT;
	return n;
}

static void
esc_byte(struct ttyout *t, unsigned char c)
{
	t->n = 0;
	switch (c) {
	case '[':
		t->seq[0] = c;
		t->n = 1;
		t->state = S_CSI;
		break;
	case ']': case 'P': case '_': case '^': case 'X':
		t->state = S_STR;
		break;
	default:
		/* intermediates (ESC ( 0) continue; a final byte ends it */
		t->state = c >= 0x20 && c <= 0x2f ? S_ESC : S_TEXT;
	}
}

/* A byte of UTF-8 after a lead byte. */
static size_t
continuation(struct ttyout *t, unsigned char c, unsigned char *out)
{
	size_t n = 0;

	t->cont--;
	if (t->c2) {
		t->c2 = 0;
		if (c <= 0x9f)
			return 0;	/* U+0080..U+009F: a C1 control */
		out[n++] = 0xc2;
	}
	out[n++] = c;
	return n;
}

static size_t
text_byte(struct ttyout *t, unsigned char c, unsigned char *out)
{
	if (t->cont > 0) {
		if (c >= 0x80 && c <= 0xbf)
			return continuation(t, c, out);
		t->cont = 0;	/* broken sequence: what was held goes */
		t->c2 = 0;
	}
	if (c == 0x1b) {
		t->state = S_ESC;
		return 0;
	}
	if (c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f)) {
		out[0] = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xf4) {
		t->cont = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
		if (c == 0xc2) {
			t->c2 = 1;	/* held until we see what follows */
			return 0;
		}
		out[0] = c;
		return 1;
	}
	return 0;	/* other C0, DEL, raw C1, stray or invalid bytes */
}

size_t
ttyout_filter(struct ttyout *t, const unsigned char *in, size_t len,
    unsigned char *out)
{
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		switch (t->state) {
		case S_TEXT:
			n += text_byte(t, c, out + n);
			break;
		case S_ESC:
			esc_byte(t, c);
			break;
		case S_CSI:
			n += csi_byte(t, c, out + n);
			break;
		case S_STR:
			if (c == 0x07 || ++t->n > TTYOUT_STR_MAX)
				t->state = S_TEXT;
			else if (c == 0x1b)
				t->state = S_STR_ESC;
			break;
		case S_STR_ESC:
			t->state = c == '\\' ? S_TEXT : S_STR;
			break;
		}
	}
	return n;
}
