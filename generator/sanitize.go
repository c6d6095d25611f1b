package generator

import (
	"go/ast"

	"github.com/accord-dev/accord/internal/termsafe"
)

// escapeComments escapes control characters in the models' comments:
// oapi-codegen copies titles and descriptions into them verbatim, and a
// contract's ESC sequence or bidi override in a description would then
// reach the terminal of whoever runs cat or git diff on generated code, or
// make it read differently from what compiles (Trojan Source). Strings in
// code are quoted by the printer and need nothing.
func escapeComments(f *ast.File) {
	for _, g := range f.Comments {
		for _, c := range g.List {
			c.Text = termsafe.String(c.Text)
		}
	}
}
