package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/contracts"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a fixed report covering what formatters must handle: a root
// cause reaching more operations than the collapse limit, a base-side
// finding with and without a head anchor, an accepted break, an expired
// acceptance, a warning below --fail-on, text that needs escaping in every
// format (%, newline, comma, colon, markup, backticks, XML specials), a
// policy note, and a second, clean contract. security-scope-added is not in
// the registry on purpose: reports must still describe a rule they do not know.
func fixture() Report {
	payments := &compat.Result{
		Kind: contracts.KindOpenAPI,
		Base: compat.DocInfo{Name: "origin/main:contracts/payments.yaml", Version: "1.4.0"},
		Head: compat.DocInfo{Name: "contracts/payments.yaml", Version: "1.5.0"},
		Findings: []compat.Finding{
			{
				Rule: "request-property-required-added", Severity: compat.SeverityError, OriginalSeverity: compat.SeverityError,
				Category: "request", Message: `Request property "currency" became required`, Dir: compat.DirRequest,
				Subject: "components.schemas.PaymentRequest.properties.currency", Before: "optional", After: "required",
				Side: "head", Pointer: "/components/schemas/PaymentRequest/required",
				Pos: contracts.Position{File: "contracts/payments.yaml", Line: 88, Col: 9},
				Affected: []compat.Operation{
					{Key: "PATCH /v1/payments/{id}", ID: "updatePayment"}, {Key: "POST /v1/payments", ID: "createPayment"},
					{Key: "POST /v1/payments/{id}/capture"}, {Key: "POST /v1/payments/{id}/refunds"},
					{Key: "POST /v1/quotes"}, {Key: "POST /v1/subscriptions"}, {Key: "PUT /v1/payments/{id}"},
				},
				Fingerprint: "c0ffee0000000001",
			},
			{
				Rule: "response-property-removed", Severity: compat.SeverityError, OriginalSeverity: compat.SeverityError,
				Category: "response", Message: "Response property \"fee\" was removed: 100% of clients, a,b:c <b>bold</b> & `tick`\nsecond line",
				Dir: compat.DirResponse, Subject: "components.schemas.Payment.properties.fee", Before: "integer",
				Side: "base", Pointer: "/components/schemas/Payment/properties/fee",
				Pos:         contracts.Position{File: "origin/main:contracts/payments.yaml", Line: 140, Col: 11},
				HeadPos:     &contracts.Position{File: "contracts/payments.yaml", Line: 131, Col: 5},
				Affected:    []compat.Operation{{Key: "GET /v1/payments/{id}", ID: "getPayment"}},
				Fingerprint: "c0ffee0000000002",
				ExpiredAcceptance: &compat.Acceptance{Fingerprint: "c0ffee0000000002", Reason: "fee moved to /balance",
					Expires: "2025-01-31", Source: ".accord-compat.yaml:7"},
			},
			{
				Rule: "operation-removed", Severity: compat.SeverityInfo, OriginalSeverity: compat.SeverityError,
				Category: "operation", Message: "Operation DELETE /v1/payments/{id} was removed",
				Subject: "DELETE /v1/payments/{id}", Side: "base", Pointer: "/paths/~1v1~1payments~1{id}/delete",
				Pos:         contracts.Position{File: "origin/main:contracts/payments.yaml", Line: 60, Col: 5},
				Affected:    []compat.Operation{{Key: "DELETE /v1/payments/{id}", ID: "deletePayment"}},
				Fingerprint: "c0ffee0000000003", Sunset: "2024-06-30",
				Accepted: "removed after its x-sunset date 2024-06-30",
			},
			{
				Rule: "response-enum-widened", Severity: compat.SeverityWarning, OriginalSeverity: compat.SeverityWarning,
				Category: "response", Message: `Response enum gained "refunded"`, Dir: compat.DirResponse,
				Subject: "components.schemas.Payment.properties.status", After: "refunded",
				Side: "head", Pointer: "/components/schemas/Payment/properties/status/enum",
				Pos:         contracts.Position{File: "contracts/payments.yaml", Line: 120, Col: 13},
				Affected:    []compat.Operation{{Key: "GET /v1/payments/{id}"}, {Key: "POST /v1/payments"}},
				Fingerprint: "c0ffee0000000004",
			},
			{
				Rule: "security-scope-added", Severity: compat.SeverityError, OriginalSeverity: compat.SeverityError,
				Category: "security", Message: `Scope "payments:admin" is now required`,
				Subject: "components.securitySchemes.oauth", Side: "base", Pointer: "/x-removed-everywhere",
				Pos:         contracts.Position{File: "origin/main:contracts/payments.yaml", Line: 12, Col: 3},
				Fingerprint: "c0ffee0000000005",
			},
		},
		Notes: []string{`--allow-major: base info.version "2022-11-15" is not semantic versioning, so it has no major version`},
	}
	events := &compat.Result{
		Kind:     contracts.KindOpenAPI,
		Base:     compat.DocInfo{Name: "origin/main:contracts/events.yaml", Version: "2.0.0"},
		Head:     compat.DocInfo{Name: "contracts/events.yaml", Version: "2.0.1"},
		Findings: []compat.Finding{},
	}
	return Report{Results: []*compat.Result{payments, events}, FailOn: compat.SeverityError, ToolVersion: "0.0.0-test",
		Today: time.Date(2025, 3, 10, 15, 4, 5, 0, time.UTC)}
}

func render(t *testing.T, f Format, r Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, r, Options{}); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/NAME, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./compat/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./compat/report -update rewrites it after review)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	ext := map[Format]string{FormatText: "txt", FormatJSON: "json", FormatMarkdown: "md",
		FormatGitHub: "github.txt", FormatSARIF: "sarif", FormatJUnit: "xml"}
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			golden(t, "report."+ext[f], render(t, f, fixture()))
		})
	}
	t.Run("text color", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Text(&buf, fixture(), Options{Color: true, MaxAffected: 3}); err != nil {
			t.Fatal(err)
		}
		golden(t, "report.color.txt", buf.Bytes())
	})
	t.Run("text clean", func(t *testing.T) {
		r := fixture()
		r.Results = r.Results[1:]
		golden(t, "clean.txt", render(t, FormatText, r))
	})
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat accepted xml")
	}
}

func TestSummarize(t *testing.T) {
	r := fixture()
	got := Summarize(r.Results[0], compat.SeverityError)
	want := Summary{Findings: 5, Errors: 3, Warnings: 1, Info: 1, Accepted: 1, Failing: 3, Operations: 9}
	if got != want {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
	if got := Summarize(r.Results[0], compat.SeverityWarning).Failing; got != 4 {
		t.Errorf("failing at warning = %d, want 4", got)
	}
}

func TestWorkTreePath(t *testing.T) {
	for in, want := range map[string]string{
		"contracts/a.yaml":             "contracts/a.yaml",
		"./contracts/a.yaml":           "contracts/a.yaml",
		"origin/main:contracts/a.yaml": "contracts/a.yaml",
		"HEAD~1:./a.yaml":              "a.yaml",
		"<stdin>":                      "",
		`C:\work\a.yaml`:               "C:/work/a.yaml",
	} {
		if got := workTreePath(in); got != want {
			t.Errorf("workTreePath(%q) = %q, want %q", in, got, want)
		}
	}
}
