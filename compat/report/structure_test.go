package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/accord-dev/accord/compat"
)

func TestJSONRoundTrip(t *testing.T) {
	out := render(t, FormatJSON, fixture())
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var got jsonReport
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("the report does not decode into its own schema: %v", err)
	}
	again, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(again, '\n'), out) {
		t.Errorf("JSON does not round-trip:\n%s\n---\n%s", again, out)
	}
	if got.SchemaVersion != SchemaVersion || !got.Failed || got.FailOn != compat.SeverityError {
		t.Errorf("header = %d failed=%v failOn=%s", got.SchemaVersion, got.Failed, got.FailOn)
	}
	if len(got.Comparisons) != 2 || len(got.Comparisons[0].Findings) != 5 {
		t.Fatalf("want 2 comparisons, the first with 5 findings: %+v", got.Comparisons)
	}
	// Failing findings come first and carry failing=true; the accepted one
	// keeps its original severity.
	var failing []string
	for _, f := range got.Comparisons[0].Findings {
		if f.Failing {
			failing = append(failing, f.Fingerprint)
		}
		if f.Accepted != "" && (f.Severity != compat.SeverityInfo || f.OriginalSeverity != compat.SeverityError) {
			t.Errorf("accepted finding: severity %s, original %s", f.Severity, f.OriginalSeverity)
		}
	}
	if want := []string{"c0ffee0000000001", "c0ffee0000000002", "c0ffee0000000005"}; !reflect.DeepEqual(failing, want) {
		t.Errorf("failing findings = %v, want %v first", failing, want)
	}
	// Empty lists are [] rather than null, so scripts can iterate blindly.
	clean := got.Comparisons[1]
	if clean.Findings == nil || clean.Notes == nil || clean.Failed {
		t.Errorf("clean comparison = %+v", clean)
	}
	if !bytes.Contains(out, []byte(`"notes": [],`)) || !bytes.Contains(out, []byte(`"findings": []`)) {
		t.Error("empty notes/findings must encode as []")
	}
}

// TestSARIFStructure checks the properties code scanning requires.
func TestSARIFStructure(t *testing.T) {
	var log map[string]any
	if err := json.Unmarshal(render(t, FormatSARIF, fixture()), &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || !strings.Contains(log["$schema"].(string), "sarif-schema-2.1.0") {
		t.Fatalf("version %v, $schema %v", log["version"], log["$schema"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "accord" {
		t.Errorf("driver.name = %v", driver["name"])
	}
	ruleIdx := map[string]int{}
	for i, r := range driver["rules"].([]any) {
		ruleIdx[r.(map[string]any)["id"].(string)] = i
	}
	results := run["results"].([]any)
	if len(results) != 5 {
		t.Fatalf("%d results, want 5", len(results))
	}
	for _, x := range results {
		res := x.(map[string]any)
		id := res["ruleId"].(string)
		i, ok := ruleIdx[id]
		if !ok {
			t.Errorf("result ruleId %q is not in driver.rules", id)
		}
		if int(res["ruleIndex"].(float64)) != i {
			t.Errorf("%s: ruleIndex %v, want %d", id, res["ruleIndex"], i)
		}
		switch res["level"] {
		case "error", "warning", "note":
		default:
			t.Errorf("%s: level %v", id, res["level"])
		}
		if res["message"].(map[string]any)["text"] == "" {
			t.Errorf("%s: empty message", id)
		}
		if fp := res["partialFingerprints"].(map[string]any)[sarifFingerprintKey]; fp == "" || fp == nil {
			t.Errorf("%s: no partial fingerprint", id)
		}
		locs, _ := res["locations"].([]any)
		if len(locs) != 1 {
			t.Errorf("%s: %d locations", id, len(locs))
			continue
		}
		phys := locs[0].(map[string]any)["physicalLocation"].(map[string]any)
		uri := phys["artifactLocation"].(map[string]any)["uri"].(string)
		if uri != "contracts/payments.yaml" {
			t.Errorf("%s: uri %q, want the head file relative to the repository", id, uri)
		}
		if region, ok := phys["region"].(map[string]any); ok && region["startLine"].(float64) < 1 {
			t.Errorf("%s: startLine %v", id, region["startLine"])
		}
	}
	// The base-side finding with no anchor in head has a location without a
	// region; the accepted one is suppressed with its reason.
	var unanchored, suppressed bool
	for _, x := range results {
		res := x.(map[string]any)
		phys := res["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		if res["ruleId"] == "security-scope-added" {
			_, has := phys["region"]
			unanchored = !has
		}
		if s, ok := res["suppressions"].([]any); ok && len(s) == 1 {
			suppressed = s[0].(map[string]any)["justification"] == "removed after its x-sunset date 2024-06-30"
		}
	}
	if !unanchored || !suppressed {
		t.Errorf("unanchored base-side finding without region: %v; accepted finding suppressed: %v", unanchored, suppressed)
	}
}

func TestSARIFCapsAffectedOperations(t *testing.T) {
	r := fixture()
	f := &r.Results[0].Findings[0]
	for i := 0; i < 120; i++ {
		f.Affected = append(f.Affected, compat.Operation{Key: fmt.Sprintf("GET /extra/%03d", i)})
	}
	var log sarifLog
	if err := json.Unmarshal(render(t, FormatSARIF, r), &log); err != nil {
		t.Fatal(err)
	}
	for _, res := range log.Runs[0].Results {
		if res.RuleID != f.Rule {
			continue
		}
		if res.Properties.AffectedCount != 127 || len(res.Properties.Affected) != sarifMaxAffected {
			t.Errorf("affected: %d listed, count %d; want %d listed of 127", len(res.Properties.Affected), res.Properties.AffectedCount, sarifMaxAffected)
		}
		return
	}
	t.Fatal("result not found")
}

func TestSARIFExplodedFingerprintsStayDistinct(t *testing.T) {
	r := fixture()
	r.Results[0] = compat.Explode(r.Results[0])
	var log sarifLog
	if err := json.Unmarshal(render(t, FormatSARIF, r), &log); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, res := range log.Runs[0].Results {
		fp := res.PartialFingerprints[sarifFingerprintKey]
		if seen[fp] {
			t.Errorf("fingerprint %q repeated", fp)
		}
		seen[fp] = true
	}
	if len(seen) != 12 {
		t.Errorf("%d results, want 12 (7+1+1+2 operations, and one finding with none)", len(seen))
	}
}

func TestJUnitStructure(t *testing.T) {
	out := render(t, FormatJUnit, fixture())
	var doc junitSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "contracts/payments.yaml" {
		t.Fatalf("suites = %+v", doc.Suites)
	}
	s := doc.Suites[0]
	if s.Tests != len(s.Cases) || s.Failures != 3 || doc.Failures != 3 {
		t.Errorf("tests=%d cases=%d failures=%d total failures=%d; want failures 3", s.Tests, len(s.Cases), s.Failures, doc.Failures)
	}
	status := map[string]string{}
	for _, c := range s.Cases {
		switch {
		case c.Failure != nil:
			status[c.Name] = "fail"
			if !strings.Contains(c.Failure.Body, c.Name) && !strings.Contains(c.Failure.Body, "subject") {
				t.Errorf("%s: failure body does not describe the finding: %q", c.Name, c.Failure.Body)
			}
		case c.SystemOut != "":
			status[c.Name] = "pass+out"
		default:
			status[c.Name] = "pass"
		}
	}
	want := map[string]string{
		"operation-removed":               "pass+out", // accepted
		"request-property-required-added": "fail",
		"response-enum-widened":           "pass+out", // warning below --fail-on error
		"response-property-removed":       "fail",     // acceptance expired
		"security-scope-added":            "fail",
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("testcase %s: %s, want %s", k, status[k], v)
		}
	}
	if doc.Suites[1].Failures != 0 {
		t.Errorf("clean contract has %d failures", doc.Suites[1].Failures)
	}
	if !bytes.Contains(out, []byte("&lt;b&gt;bold&lt;/b&gt; &amp;")) {
		t.Error("markup in messages is not escaped in XML")
	}
}

func TestGitHubEscaping(t *testing.T) {
	out := string(render(t, FormatGitHub, fixture()))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var annotations []string
	for _, l := range lines {
		if strings.HasPrefix(l, "::") {
			annotations = append(annotations, l)
		}
	}
	if len(annotations) != 5 {
		t.Fatalf("%d annotations, want one per finding:\n%s", len(annotations), out)
	}
	removed := ""
	for _, a := range annotations {
		if strings.Contains(a, "response-property-removed") {
			removed = a
		}
	}
	// Base-side finding: at head's nearest line, message escaped, one line.
	if !strings.HasPrefix(removed, "::error file=contracts/payments.yaml,line=131,col=5,title=accord response-property-removed::") {
		t.Errorf("annotation = %q", removed)
	}
	if !strings.Contains(removed, "100%25 of clients, a,b:c") || !strings.Contains(removed, "%0Asecond line") {
		t.Errorf("message not escaped per GitHub's rules: %q", removed)
	}
	for _, a := range annotations {
		if strings.Contains(a, "security-scope-added") && strings.Contains(a, "line=") {
			t.Errorf("unanchored base-side finding must omit line: %q", a)
		}
		if strings.Contains(a, "operation-removed") && !strings.HasPrefix(a, "::notice ") {
			t.Errorf("accepted finding must be a notice: %q", a)
		}
	}
	if got := ghProperty("a:b,c%d\ne"); got != "a%3Ab%2Cc%25d%0Ae" {
		t.Errorf("ghProperty = %q", got)
	}
}

func TestMarkdownBudget(t *testing.T) {
	r := fixture()
	big := *r.Results[0]
	for i := 0; i < 3000; i++ {
		big.Findings = append(big.Findings, big.Findings[0])
	}
	r.Results[0] = &big
	out := render(t, FormatMarkdown, r)
	if len(out) > 65536 {
		t.Errorf("markdown is %d bytes, over GitHub's comment limit", len(out))
	}
	if !bytes.Contains(out, []byte("more findings")) {
		t.Error("truncated markdown does not say findings were left out")
	}
	if got := mdCode("a`b|c"); got != "``a`b\\|c``" {
		t.Errorf("mdCode = %q", got)
	}
}

func TestTextCollapsesAffected(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, fixture(), Options{MaxAffected: 2}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "7 operations: PATCH /v1/payments/{id}, POST /v1/payments and 5 more") {
		t.Errorf("affected operations not collapsed after 2:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("colour escapes without Options.Color")
	}
}

func TestRulesFollowTheProfile(t *testing.T) {
	wire := rulesFor(Report{})
	sdk := rulesFor(Report{Profile: compat.ProfileSDK})
	if len(sdk) <= len(wire) {
		t.Fatalf("sdk profile lists %d rules, wire %d: sdk rules must be added under sdk only", len(sdk), len(wire))
	}
	ids := map[string]ruleMeta{}
	for _, m := range wire {
		ids[m.ID] = m
	}
	if _, ok := ids["operation-id-changed"]; ok {
		t.Error("the sdk rule operation-id-changed is listed under the wire profile")
	}
	m, ok := ids["operation-removed"]
	if !ok || m.Summary == "" || m.Impact == "" || m.Mitigation == "" || m.Severity != compat.SeverityError {
		t.Errorf("operation-removed from the registry = %+v", m)
	}
	// A rule the registry does not know still gets an entry.
	r := Report{Results: []*compat.Result{{Findings: []compat.Finding{{Rule: "made-up", Severity: compat.SeverityWarning}}}}}
	found := false
	for _, m := range rulesFor(r) {
		if m.ID == "made-up" && m.Severity == compat.SeverityWarning {
			found = true
		}
	}
	if !found {
		t.Error("an unknown rule has no entry")
	}
}
