// Package termsafe makes text from contracts safe to print: a contract is
// input from whoever wrote it, and a path, description or operationId holding
// ESC [ 2J, an OSC 8 hyperlink, a carriage return or a bidi override would
// otherwise rewrite what the terminal (or a CI log) shows. Control characters
// become visible escapes (\x1b, \u202e) instead.
//
// What is escaped: C0 controls except tab and newline (String) or except tab
// only (Line), DEL, C1 controls, U+2028 and U+2029 (line and paragraph
// separators), the bidi embeddings and overrides U+202A–U+202E and isolates
// U+2066–U+2069, and bytes that are not UTF-8 (a lone 0x9b is CSI to an
// 8-bit terminal).
//
// It is its own package because cmd/accord and compat/report both print
// contract text and neither may import the other.
package termsafe

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String escapes s for text output that may span lines.
func String(s string) string { return escape(s, false) }

// Line escapes s for a single-line field: newlines are escaped too, so a
// value cannot start a line of its own (a forged "::error::" workflow
// command in a CI log, a fake second finding).
func Line(s string) string { return escape(s, true) }

// Unsafe reports whether s holds anything String would escape.
func Unsafe(s string) bool { return escape(s, false) != s }

func escape(s string, line bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean || (!line && !needsEscape(s)) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && !line, r == '\t':
			b.WriteRune(r)
		case dangerous(r):
			writeRune(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r != '\n' && r != '\t' && dangerous(r)) {
			return true
		}
		i += size
	}
	return false
}

// dangerous is every rune this package escapes, tab and newline included
// (the callers keep those where the format needs them).
func dangerous(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func writeRune(b *strings.Builder, r rune) {
	if r < 0x80 {
		fmt.Fprintf(b, `\x%02x`, r)
		return
	}
	fmt.Fprintf(b, `\u%04x`, r)
}

// sgr are the colour sequences accord itself prints on a terminal; Writer
// lets exactly these through. A contract can at worst change a colour with
// them, never move the cursor, hide text or set a title.
var sgr = [][]byte{
	[]byte("\x1b[0m"), []byte("\x1b[1m"), []byte("\x1b[2m"),
	[]byte("\x1b[31m"), []byte("\x1b[32m"), []byte("\x1b[33m"),
}

// Writer escapes everything written through it like String, except the
// colour sequences in sgr. A sequence or UTF-8 character cut in two by
// consecutive writes is held back until the rest arrives; Flush writes out
// what is left.
type Writer struct {
	w       io.Writer
	pending []byte
}

// NewWriter returns a Writer that writes escaped text to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (t *Writer) Write(p []byte) (int, error) {
	data := p
	if len(t.pending) > 0 {
		data = append(t.pending, p...)
		t.pending = nil
	}
	var out bytes.Buffer
	out.Grow(len(data) + 16)
	for i := 0; i < len(data); {
		c := data[i]
		if c == 0x1b {
			if n, partial := matchSGR(data[i:]); n > 0 {
				out.Write(data[i : i+n])
				i += n
				continue
			} else if partial {
				t.pending = append([]byte(nil), data[i:]...)
				break
			}
		}
		if c < 0x80 {
			if c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f) {
				out.WriteByte(c)
			} else {
				fmt.Fprintf(&out, `\x%02x`, c)
			}
			i++
			continue
		}
		if !utf8.FullRune(data[i:]) {
			t.pending = append([]byte(nil), data[i:]...)
			break
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&out, `\x%02x`, c)
		case dangerous(r):
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			out.Write(data[i : i+size])
		}
		i += size
	}
	if _, err := t.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what a cut-off sequence left pending, escaped.
func (t *Writer) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	rest := t.pending
	t.pending = nil
	var out strings.Builder
	for _, c := range rest {
		if c >= 0x20 && c < 0x7f {
			out.WriteByte(c)
		} else {
			fmt.Fprintf(&out, `\x%02x`, c)
		}
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// matchSGR reports the length of an allowed colour sequence at the start of
// b, or whether b is the beginning of one (and more may follow).
func matchSGR(b []byte) (n int, partial bool) {
	for _, s := range sgr {
		if bytes.HasPrefix(b, s) {
			return len(s), false
		}
		if len(b) < len(s) && bytes.HasPrefix(s, b) {
			partial = true
		}
	}
	return 0, partial
}
