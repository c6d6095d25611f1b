package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// ChangelogSchemaVersion versions the change log's JSON; it changes only
// when a field changes meaning or disappears.
const ChangelogSchemaVersion = 1

// ChangelogJSON writes the change logs as one JSON document.
func ChangelogJSON(w io.Writer, logs []Changelog, toolVersion string) error {
	doc := struct {
		SchemaVersion int         `json:"schemaVersion"`
		Tool          string      `json:"tool"`
		Changelogs    []Changelog `json:"changelogs"`
	}{ChangelogSchemaVersion, "accord " + toolVersion, logs}
	if doc.Changelogs == nil {
		doc.Changelogs = []Changelog{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding the change log: %w", err)
	}
	return nil
}
