package main

// painter colours terminal output; it is a no-op when output is not a terminal.
type painter struct{ on bool }

func newPainter(on bool) painter { return painter{on: on} }

func (p painter) wrap(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) red(s string) string    { return p.wrap("31", s) }
func (p painter) green(s string) string  { return p.wrap("32", s) }
func (p painter) yellow(s string) string { return p.wrap("33", s) }
func (p painter) dim(s string) string    { return p.wrap("2", s) }
