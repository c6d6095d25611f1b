package preflight

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/generator"
)

func (s *state) tracked() Check {
	c := Check{ID: "contracts-tracked", Title: "contracts tracked in git"}
	if s.in.Repo.Tracked == nil {
		c.Status, c.Why = No, "not a git work tree: contracts must be versioned for compat and rollback"
		return c
	}
	ok := true
	for _, t := range s.targets {
		switch {
		case t.File == "":
			ok = false
			c.Items = append(c.Items, no(t.Name+": not a file in the repository", t.Doc.Name))
		case s.in.Repo.Tracked[t.File]:
			c.Items = append(c.Items, yes(t.Name, t.File))
		default:
			ok = false
			c.Items = append(c.Items, no(t.Name+": untracked (git add it)", t.File))
		}
	}
	if ok && len(s.targets) > 0 {
		c.Status, c.Why = Yes, "every contract is tracked"
	} else {
		c.Status, c.Why = No, "a contract git does not track cannot be compared or rolled back"
	}
	return c
}

// ciFiles are where CI systems keep their configuration.
var ciFiles = []string{
	".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", ".ci/*", ".ci/*/*",
	".circleci/config.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml", "Jenkinsfile", ".buildkite/*.yml",
}

var compatStep = regexp.MustCompile(`\baccord(\.exe)?["']?\s+compat\b|\bcmd/accord\s+compat\b`)

func (s *state) compatInCI() Check {
	c := Check{ID: "compat-in-ci", Title: "a compat step in CI"}
	files := s.repoFiles(ciFiles...)
	if len(files) == 0 {
		c.Status, c.Why = No, "no CI configuration found (looked for "+strings.Join(ciFiles[:4], ", ")+", …)"
		return c
	}
	for _, f := range files {
		data, err := fs.ReadFile(s.in.Repo.FS, f)
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			if compatStep.MatchString(line) {
				c.Status, c.Why = Yes, "CI runs accord compat"
				c.Items = []Item{yes(strings.TrimSpace(line), fmt.Sprintf("%s:%d", f, i+1))}
				return c
			}
		}
	}
	c.Status = No
	c.Why = "CI configuration (" + strings.Join(files, ", ") + ") has no accord compat step: breaking changes reach partners unchecked"
	return c
}

// generatedFresh regenerates each integration in memory and compares it
// with its output directory, as accord gen --check does.
func (s *state) generatedFresh() Check {
	c := Check{ID: "generated-fresh", Title: "generated code up to date"}
	ok, n := true, 0
	for _, t := range s.targets {
		if t.Integration == nil {
			continue
		}
		n++
		if t.genErr != nil {
			ok = false
			c.Items = append(c.Items, no(t.Name+": cannot generate: "+t.genErr.Error(), t.Doc.Name))
			continue
		}
		if t.gen == nil {
			continue // AsyncAPI: nothing generated
		}
		d, err := generator.Compare(t.Integration.Output, t.gen)
		switch {
		case err != nil:
			ok = false
			c.Items = append(c.Items, no(t.Name+": "+err.Error(), t.Integration.Output))
		case d.UpToDate():
			c.Items = append(c.Items, yes(t.Name+": up to date", t.Integration.Output))
		default:
			ok = false
			c.Items = append(c.Items, no(fmt.Sprintf("%s: %d missing, %d stale, %d extra, %d not ours: run accord gen",
				t.Name, len(d.Missing), len(d.Stale), len(d.Extra), len(d.Foreign)), t.Integration.Output))
		}
	}
	switch {
	case n == 0:
		c.Status, c.Why = No, "no accord.yaml integrations: the output directories are unknown (use --config)"
	case ok:
		c.Status, c.Why = Yes, "the committed code is what accord gen writes"
	default:
		c.Status, c.Why = No, "generated code differs from the contracts"
	}
	return c
}

// maxBreakItems keeps a contract rewrite's findings to a readable list.
const maxBreakItems = 20

func (s *state) noBreakingChange() Check {
	c := Check{ID: "no-breaking-change", Title: "no breaking change against the base"}
	if s.in.BaseRev == "" {
		c.Status, c.Why = No, "no base revision given: pass --base REV (e.g. --base origin/main)"
		return c
	}
	ok := true
	for _, t := range s.targets {
		if t.BaseNew {
			c.Items = append(c.Items, yes(t.Name+": new at "+s.in.BaseRev+", nothing to break", t.Doc.Name))
			continue
		}
		if t.Base == nil {
			ok = false
			c.Items = append(c.Items, no(t.Name+": no version at "+s.in.BaseRev+" to compare with", t.Doc.Name))
			continue
		}
		res, err := compat.Compare(t.Base, t.Doc, compat.Options{})
		if err != nil {
			ok = false
			c.Items = append(c.Items, no(t.Name+": "+err.Error(), t.Doc.Name))
			continue
		}
		breaking := 0
		for _, f := range res.Findings {
			if f.Severity != compat.SeverityError {
				continue
			}
			breaking++
			if breaking <= maxBreakItems {
				c.Items = append(c.Items, no(t.Name+": "+f.Message+" ("+f.Rule+")", f.Pos.String()))
			}
		}
		if breaking == 0 {
			c.Items = append(c.Items, yes(t.Name+": compatible with "+s.in.BaseRev, t.Doc.Name))
		} else {
			ok = false
			if breaking > maxBreakItems {
				c.Items = append(c.Items, no(fmt.Sprintf("%s: and %d more (accord compat lists them)", t.Name, breaking-maxBreakItems), ""))
			}
		}
	}
	if ok {
		c.Status, c.Why = Yes, "compatible with "+s.in.BaseRev
	} else {
		c.Status, c.Why = No, "breaking changes against "+s.in.BaseRev+" (see accord compat)"
	}
	return c
}
