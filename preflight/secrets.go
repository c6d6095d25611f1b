package preflight

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strings"
)

// Secret patterns: well-known key prefixes, private keys, credentials in
// URLs. Each is specific enough that a hit is worth a look.
var secretPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"a Stripe-style live secret key", regexp.MustCompile(`\b(sk|rk)_live_[0-9A-Za-z]{8,}`)},
	{"a webhook signing secret (whsec_)", regexp.MustCompile(`\bwhsec_[0-9A-Za-z+/=]{8,}`)},
	{"a private key", regexp.MustCompile(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`)},
	{"a password in a URL", regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'"]+:[^/\s@'"{}]+@`)},
	{"an AWS access key id", regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`)},
	{"a GitHub token", regexp.MustCompile(`\bgh[pousr]_[0-9A-Za-z]{30,}`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abposr]-[0-9A-Za-z-]{10,}`)},
}

// tokenRe finds candidate tokens for the entropy test: long runs of the
// characters keys are written in.
var tokenRe = regexp.MustCompile(`[A-Za-z0-9+/=_-]{32,}`)

// minEntropy (bits per character) separates random keys (base64 ≈ 5.5-6,
// hex ≈ 3.7-4) from words and identifiers joined by underscores.
const (
	minEntropy    = 4.2
	minHexEntropy = 3.4
)

// findSecrets reports lines of text holding something that looks like a
// literal secret.
func findSecrets(file string, text []byte) []Item {
	var items []Item
	for i, line := range strings.Split(string(text), "\n") {
		where := fmt.Sprintf("%s:%d", file, i+1)
		found := false
		for _, p := range secretPatterns {
			if p.re.MatchString(line) {
				items = append(items, no("looks like "+p.what, where))
				found = true
				break
			}
		}
		if found {
			continue
		}
		for _, tok := range tokenRe.FindAllString(line, -1) {
			if randomLooking(tok) {
				items = append(items, no(fmt.Sprintf("high-entropy string %s… (%d characters)", tok[:6], len(tok)), where))
				break
			}
		}
	}
	return items
}

func randomLooking(tok string) bool {
	hex := true
	classes := 0
	var lower, upper, digit bool
	for _, r := range tok {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
			if r > 'f' {
				hex = false
			}
		case r >= 'A' && r <= 'Z':
			upper = true
			hex = false
		case r >= '0' && r <= '9':
			digit = true
		default:
			hex = false
		}
	}
	for _, b := range []bool{lower, upper, digit} {
		if b {
			classes++
		}
	}
	e := entropy(tok)
	if hex && digit && len(tok) >= 40 {
		return e >= minHexEntropy
	}
	// Identifiers (snake_case, words) mix few classes; keys mix all three.
	return classes == 3 && e >= minEntropy
}

func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

// noLiteralSecrets scans the contracts (their files in the repository, or
// the loaded model when a contract is not in it) and accord.yaml.
func (s *state) noLiteralSecrets() Check {
	var items []Item
	scanned := 0
	for _, t := range s.targets {
		if t.File != "" && s.in.Repo.FS != nil {
			if data, err := fs.ReadFile(s.in.Repo.FS, t.File); err == nil {
				scanned++
				items = append(items, findSecrets(t.Doc.Name, data)...)
				continue
			}
		}
		// Not in the repository (stdin, another tree): scan the model.
		var model any = t.Doc.OpenAPI
		if t.Doc.AsyncAPI != nil {
			model = t.Doc.AsyncAPI
		}
		data, err := json.MarshalIndent(model, "", " ")
		if err != nil {
			items = append(items, no(t.Name+": the contract could not be scanned: "+err.Error(), t.Doc.Name))
			continue
		}
		scanned++
		for _, it := range findSecrets(t.Doc.Name, bytes.ReplaceAll(data, []byte(`\n`), []byte("\n"))) {
			it.Where = t.Doc.Name // lines of the re-encoded model are not the file's
			items = append(items, it)
		}
	}
	if s.in.Config != nil && len(s.in.ConfigText) > 0 {
		scanned++
		items = append(items, findSecrets(s.in.Config.File, s.in.ConfigText)...)
	}
	c := Check{ID: "no-literal-secrets", Title: "no literal secrets in contracts or accord.yaml", Items: items}
	if len(items) == 0 {
		c.Status, c.Why = Yes, fmt.Sprintf("%s scanned: no keys, tokens, private keys or passwords in URLs", plural(scanned, "file"))
	} else {
		c.Status, c.Why = No, "secrets belong in a secret store; the contract and accord.yaml are read by everyone with the repository"
	}
	return c
}
