package generator

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/contracts"
)

// policyLiteral renders a resolved policy as a composite literal of the
// runtime's Policy type (templates/runtime/policy.go), which the generated
// package declares itself. Zero fields are left out so the literal reads like
// the contract; durations print in their largest exact unit (10 * time.Second).
func policyLiteral(p contracts.Policy) string {
	var f []string
	add := func(name, value string) { f = append(f, name+": "+value) }
	if p.Timeout != 0 {
		add("Timeout", durationLiteral(p.Timeout))
	}
	if p.Budget != 0 {
		add("Budget", durationLiteral(p.Budget))
	}
	if p.Retries != 0 {
		add("Retries", strconv.Itoa(p.Retries))
	}
	if p.BackoffBase != 0 {
		add("BackoffBase", durationLiteral(p.BackoffBase))
	}
	if p.BackoffCap != 0 {
		add("BackoffCap", durationLiteral(p.BackoffCap))
	}
	if len(p.RetryOn) > 0 {
		codes := make([]string, len(p.RetryOn))
		for i, c := range p.RetryOn {
			codes[i] = strconv.Itoa(c)
		}
		add("RetryOn", "[]int{"+strings.Join(codes, ", ")+"}")
	}
	if p.Idempotency != "" {
		add("Idempotency", idempotencyConst(p.Idempotency))
	}
	if p.IdempotencyTTL != 0 {
		add("IdempotencyTTL", durationLiteral(p.IdempotencyTTL))
	}
	if p.Concurrency != 0 {
		add("Concurrency", strconv.Itoa(p.Concurrency))
	}
	if b := p.Breaker; b != (contracts.Breaker{}) {
		var bf []string
		if b.Failures != 0 {
			bf = append(bf, "Failures: "+strconv.Itoa(b.Failures))
		}
		if b.Window != 0 {
			bf = append(bf, "Window: "+durationLiteral(b.Window))
		}
		if b.Cooldown != 0 {
			bf = append(bf, "Cooldown: "+durationLiteral(b.Cooldown))
		}
		add("Breaker", "accordrt.BreakerPolicy{"+strings.Join(bf, ", ")+"}")
	}
	if p.Signature != "" {
		add("Signature", strconv.Quote(p.Signature))
	}
	if p.KeyHonoured() {
		add("KeyHonoured", "true")
	}
	if p.Reconcile != "" {
		add("Reconcile", strconv.Quote(p.Reconcile))
	}
	if p.KillSwitch {
		add("KillSwitch", "true")
	}
	return "accordrt.Policy{" + strings.Join(f, ", ") + "}"
}

func idempotencyConst(m contracts.IdempotencyMode) string {
	switch m {
	case contracts.IdempotencyRequired:
		return "accordrt.IdempotencyRequired"
	case contracts.IdempotencyOptional:
		return "accordrt.IdempotencyOptional"
	case contracts.IdempotencyOff:
		return "accordrt.IdempotencyOff"
	case contracts.IdempotencyClient:
		return "accordrt.IdempotencyClient"
	}
	// contracts validates the mode; a new one shows up as a typed string.
	return "accordrt.IdempotencyMode(" + strconv.Quote(string(m)) + ")"
}

// durationLiteral prints d as n * unit in the largest unit that divides it.
func durationLiteral(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{
		{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"},
		{time.Millisecond, "time.Millisecond"}, {time.Microsecond, "time.Microsecond"},
	}
	for _, u := range units {
		if d%u.d == 0 {
			if n := d / u.d; n != 1 {
				return fmt.Sprintf("%d * %s", n, u.name)
			}
			return u.name
		}
	}
	return fmt.Sprintf("time.Duration(%d)", int64(d))
}

// signatureLiteral renders a signing scheme as the runtime's SignatureScheme.
func signatureLiteral(s contracts.SignatureScheme) string {
	format := "accordrt.SignatureFormat(" + strconv.Quote(s.Format) + ")"
	switch s.Format {
	case contracts.FormatAccord:
		format = "accordrt.FormatAccord"
	case contracts.FormatStandardWebhooks:
		format = "accordrt.FormatStandardWebhooks"
	case contracts.FormatHTTPMessageSignatures:
		format = "accordrt.FormatHTTPMessageSignatures"
	}
	f := []string{"Name: " + strconv.Quote(s.Name), "Format: " + format}
	if s.SignatureHeader != "" {
		f = append(f, "SignatureHeader: "+strconv.Quote(s.SignatureHeader))
	}
	if s.TimestampHeader != "" {
		f = append(f, "TimestampHeader: "+strconv.Quote(s.TimestampHeader))
	}
	if s.NonceHeader != "" {
		f = append(f, "NonceHeader: "+strconv.Quote(s.NonceHeader))
	}
	if s.Tolerance != 0 {
		f = append(f, "Tolerance: "+durationLiteral(s.Tolerance))
	}
	return "accordrt.SignatureScheme{" + strings.Join(f, ", ") + "}"
}
