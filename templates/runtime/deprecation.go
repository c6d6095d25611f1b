package runtime

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Deprecation is what the contract says of a deprecated operation: when it
// was deprecated (x-deprecated-at) and when it stops working (x-sunset).
// Either may be zero: not declared.
type Deprecation struct {
	Since, Sunset time.Time
}

// rtDeprecationHeaders writes the headers a deprecated operation answers
// with: Deprecation (RFC 9745, a structured-field date; the epoch when the
// contract gives no date, which still says "deprecated already") and, when
// announced, Sunset (RFC 8594, an HTTP date).
func rtDeprecationHeaders(h http.Header, d *Deprecation) {
	since := int64(0)
	if !d.Since.IsZero() {
		since = d.Since.Unix()
	}
	h["Deprecation"] = []string{"@" + strconv.FormatInt(since, 10)}
	if !d.Sunset.IsZero() {
		h["Sunset"] = []string{d.Sunset.UTC().Format(http.TimeFormat)}
	}
}

// rtDeprecationStep sets the headers before anything answers, so that an
// error (401, 429, 503) tells the caller too.
type rtDeprecationStep struct {
	next http.Handler
	d    *Deprecation
}

func (s *rtDeprecationStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rtDeprecationHeaders(w.Header(), s.d)
	s.next.ServeHTTP(w, r)
}

// DeprecationInfo reports that a client called a deprecated operation:
// the contract said so, or the server answered with a Deprecation header.
type DeprecationInfo struct {
	Operation string
	// Deprecation and Sunset are the response's headers as sent ("" when
	// absent); Declared is the contract's own word, nil when it has none.
	Deprecation, Sunset string
	Declared            *Deprecation
}

// rtDeprecations remembers which operations were reported, so the hook and
// the log hear of each once per client, not once per call.
type rtDeprecations struct {
	seen sync.Map // operation id -> struct{}
}

// note reports op once, when the contract or the response says it is
// deprecated.
func (d *rtDeprecations) note(s *ClientSettings, op Operation, resp *http.Response) {
	var dep, sunset string
	if resp != nil {
		dep, sunset = resp.Header.Get("Deprecation"), resp.Header.Get("Sunset")
	}
	if op.Deprecation == nil && dep == "" && sunset == "" {
		return
	}
	if _, dup := d.seen.LoadOrStore(op.ID, struct{}{}); dup {
		return
	}
	if s.Hooks.OnDeprecated != nil {
		s.Hooks.OnDeprecated(DeprecationInfo{Operation: op.ID, Deprecation: dep, Sunset: sunset, Declared: op.Deprecation})
	}
}
