package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/accord-dev/accord/compat"
)

// JUnit writes a JUnit XML report: one <testsuite> per compared contract and
// one <testcase> per rule of the registry (plus any rule a finding names that
// the registry does not know). A testcase fails when the rule has findings
// that fail the check; its failure body lists each root cause. Findings that
// do not fail (below --fail-on, or accepted) go to the testcase's
// <system-out>.
//
// Why per rule and not per finding: test dashboards track a test's history
// by its name. Rule IDs are stable, so "payments.yaml / request-property-
// required-added" keeps one history across builds (flaky, fixed, newly
// failing), and a clean contract still shows its passing checks. Findings
// come and go between runs; as testcases they would only ever appear failing.
func JUnit(w io.Writer, r Report) error {
	rules := rulesFor(r)
	doc := junitSuites{Name: "accord compat"}
	for _, res := range r.Results {
		suite := junitSuite{
			Name: res.Head.Name,
			Properties: []junitProperty{
				{Name: "base", Value: res.Base.Name},
				{Name: "base.version", Value: res.Base.Version},
				{Name: "head", Value: res.Head.Name},
				{Name: "head.version", Value: res.Head.Version},
				{Name: "failOn", Value: string(r.FailOn)},
			},
		}
		byRule := map[string][]compat.Finding{}
		for _, f := range ordered(res, r.FailOn) {
			byRule[f.Rule] = append(byRule[f.Rule], f)
		}
		for _, m := range rules {
			tc := junitCase{Name: m.ID, ClassName: "accord.compat." + res.Head.Name}
			var failing, passing []string
			for _, f := range byRule[m.ID] {
				if compat.Fails(f, r.FailOn) {
					failing = append(failing, junitFinding(res, f))
				} else {
					passing = append(passing, junitFinding(res, f))
				}
			}
			if len(failing) > 0 {
				tc.Failure = &junitFailure{
					Type:    m.ID,
					Message: fmt.Sprintf("%s: %s", plural(len(failing), "breaking change"), m.Summary),
					Body:    strings.Join(failing, "\n\n"),
				}
				suite.Failures++
			}
			if len(passing) > 0 {
				tc.SystemOut = strings.Join(passing, "\n\n")
			}
			suite.Cases = append(suite.Cases, tc)
		}
		suite.Tests = len(suite.Cases)
		if len(res.Notes) > 0 {
			suite.SystemOut = strings.Join(res.Notes, "\n")
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Suites = append(doc.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitFinding(res *compat.Result, f compat.Finding) string {
	return fmt.Sprintf("[%s] %s\nat %s\n%s", f.Severity, f.Subject, textPlace(res, f), githubMessage(res, f))
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}
