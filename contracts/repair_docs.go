package contracts

import (
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// externalDocs drops External Documentation Objects without a url (Azure's
// published contracts write `externalDocs: {description: ...}` on many
// operations). The object only links to documentation; generated code
// carries nothing of it but a comment, so dropping it loses nothing a
// caller needs. Schemas' externalDocs are handled where schemas are walked.
func (r *repairer) externalDocs() {
	r.dropDocs(&r.t.ExternalDocs, "/externalDocs")
	for i, tag := range r.t.Tags {
		if tag != nil {
			r.dropDocs(&tag.ExternalDocs, Pointer("tags", strconv.Itoa(i), "externalDocs"))
		}
	}
	if r.t.Paths == nil {
		return
	}
	for _, path := range sortedKeys(r.t.Paths.Map()) {
		item := r.t.Paths.Value(path)
		if item == nil {
			continue
		}
		for _, m := range sortedKeys(item.Operations()) {
			r.dropDocs(&item.Operations()[m].ExternalDocs, Pointer("paths", path, strings.ToLower(m), "externalDocs"))
		}
	}
}

func (r *repairer) dropDocs(docs **openapi3.ExternalDocs, at string) {
	if *docs == nil || strings.TrimSpace((*docs).URL) != "" {
		return
	}
	*docs = nil
	r.note(at, "repair-external-docs-url", "externalDocs has no url, which the specification requires; left out of the generated documentation")
}
