package contracts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepairForGen loads a contract breaking each rule vendors often break,
// checks that Validate refuses it, that RepairForGen notes one repair per
// defect with its line, and that the repaired document validates.
func TestRepairForGen(t *testing.T) {
	const contract = `openapi: 3.1.0
info: {title: Vendor, version: ""}
paths:
  /items/{id}/parts/{part}:
    get:
      operationId: getPart
      parameters:
        - {name: id, in: path, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [tags, tags, size]
                properties:
                  tags: {type: array}
                  size: {type: integer, minimum: 0, exclusiveMinimum: true}
                  max: {type: integer, exclusiveMaximum: false}
tags:
  - name: parts
    externalDocs: {description: the parts guide}
servers:
  - url: ""
`
	path := filepath.Join(t.TempDir(), "vendor.yaml")
	if err := os.WriteFile(path, []byte(contract), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func() *Document {
		d, err := Load(context.Background(), path, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if ps := Validate(context.Background(), load()); !HasErrors(ps) {
		t.Fatalf("validate accepts the vendor's defects: %v", ps)
	}
	d := load()
	notes := RepairForGen(d)
	want := map[string]int{
		"repair-empty-version":             2,
		"repair-path-parameter-required":   8,
		"repair-path-parameter-undeclared": 5,
		"repair-array-items":               18,
		"repair-duplicate-required":        16,
		"repair-boolean-exclusive":         20,
		"repair-external-docs-url":         23,
		"repair-empty-server-url":          25,
	}
	got := map[string]int{}
	for _, n := range notes {
		if n.Severity != SeverityNote {
			t.Errorf("%v: severity %s", n, n.Severity)
		}
		if _, ok := got[n.Code]; !ok {
			got[n.Code] = n.Pos.Line
		}
	}
	for code, line := range want {
		if got[code] != line {
			t.Errorf("%s: noted at line %d, want %d (notes: %v)", code, got[code], line, notes)
		}
	}
	if len(notes) != 9 {
		t.Errorf("%d notes, want 9: %v", len(notes), notes)
	}
	if ps := Validate(context.Background(), d); HasErrors(ps) {
		var b strings.Builder
		for _, p := range ps {
			b.WriteString(p.String() + "\n")
		}
		t.Fatalf("the repaired document is still invalid:\n%s", b.String())
	}
}

// Paths that differ only in parameter names and share a method break the
// specification: validate refuses them, gen (after RepairForGen) warns and
// generates both operations.
func TestConflictingPathsForGen(t *testing.T) {
	const contract = `openapi: 3.0.3
info: {title: Vendor, version: "1"}
paths:
  /contacts/{ContactID}:
    get:
      parameters: [{name: ContactID, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /contacts/{ContactNumber}:
    get:
      parameters: [{name: ContactNumber, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`
	path := filepath.Join(t.TempDir(), "vendor.yaml")
	if err := os.WriteFile(path, []byte(contract), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, gen := range []bool{false, true} {
		d, err := Load(context.Background(), path, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if gen {
			RepairForGen(d)
		}
		var found *Problem
		ps := Validate(context.Background(), d)
		for i := range ps {
			if ps[i].Code == "openapi-conflicting-paths" {
				found = &ps[i]
			}
		}
		want := SeverityError
		if gen {
			want = SeverityWarning
		}
		if found == nil || found.Severity != want || found.Pos.Line != 4 {
			t.Errorf("for gen %v: %+v, want a %s at line 4 (all: %v)", gen, found, want, ps)
		}
	}
}
