package termsafe

import (
	"bytes"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct{ in, str, line string }{
		{"plain text", "plain text", "plain text"},
		{"tab\tand\nnewline", "tab\tand\nnewline", `tab` + "\t" + `and\x0anewline`},
		{"\x1b[2J\x1b]0;owned\x07", `\x1b[2J\x1b]0;owned\x07`, `\x1b[2J\x1b]0;owned\x07`},
		{"a\rb\x7fc", `a\x0db\x7fc`, `a\x0db\x7fc`},
		{"C1 \u009b31m", `C1 \u009b31m`, `C1 \u009b31m`},
		{"bidi \u202eevil\u202c \u2066x\u2069", `bidi \u202eevil\u202c \u2066x\u2069`, `bidi \u202eevil\u202c \u2066x\u2069`},
		{"sep\u2028line", `sep\u2028line`, `sep\u2028line`},
		{"bad \x9b byte", `bad \x9b byte`, `bad \x9b byte`},
		{"ünïcödé → ok", "ünïcödé → ok", "ünïcödé → ok"},
	} {
		if got := String(c.in); got != c.str {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.str)
		}
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
	}
}

// TestWriter: accord's own colours pass, anything else is escaped, and a
// sequence or character split across writes is judged whole.
func TestWriter(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	in := "\x1b[31merror\x1b[0m: path /a\x1b]8;;http://x\x07b\x1b[8m hidden é\u202e\n"
	// One byte at a time: every sequence and rune is cut.
	for i := 0; i < len(in); i++ {
		if _, err := w.Write([]byte{in[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[31merror\x1b[0m: path /a" + `\x1b]8;;http://x\x07b\x1b[8m hidden é\u202e` + "\n"
	if out.String() != want {
		t.Fatalf("got  %q\nwant %q", out.String(), want)
	}
	out.Reset()
	w.Write([]byte("cut \x1b[3"))
	w.Flush()
	if strings.ContainsRune(out.String(), 0x1b) {
		t.Fatalf("a cut-off sequence reached the output raw: %q", out.String())
	}
}
