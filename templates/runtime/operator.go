package runtime

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// OperatorIntegration is one integration as the operator page lists it:
// its name (the accord.yaml entry) and its operations, e.g. the values of
// the generated package's OperationByID.
type OperatorIntegration struct {
	Name       string
	Operations []Operation
	// Stats and Switches override OperatorOptions' for this integration,
	// for processes whose integrations have clients (and so hooks) or
	// servers (and so switches) of their own. Operation ids are only unique
	// within one integration.
	Stats    *OperatorStats
	Switches *MemorySwitches
}

// OperatorOptions configures NewOperatorPage.
type OperatorOptions struct {
	Title        string // page heading ["accord operator page"]
	Integrations []OperatorIntegration
	// Switches are the toggles: a POST switches an operation on or off
	// here. Nil makes the page read-only (no toggles).
	Switches *MemorySwitches
	// InForce, when set, is what the servers and clients actually consult
	// (e.g. AllSwitches(mem, fileSwitches)), so the page can show an
	// operation that another source switched off; default Switches.
	InForce Switches
	// Stats feed breaker states, in-flight counts and error rates.
	Stats *OperatorStats
	// Authorize decides every request (page, JSON and toggles), so the page
	// can sit behind the same authentication as the server's operations.
	// Nil refuses everything: the page tells an attacker what is fragile
	// and lets them switch production off, so it fails closed.
	Authorize func(*http.Request) bool
	Now       func() time.Time // [time.Now]
}

// NewOperatorPage returns the handler of the operator page: GET serves one
// self-contained HTML page (no external assets, so it works from an
// incident bridge with nothing else reachable), GET with ?format=json or a
// path ending in .json the same data as JSON, and POST toggles a switch.
// Mount it on a path of its own, e.g. mux.Handle("/operator/", page); the
// forms post back to the page's own address.
//
// Toggles are protected against cross-site requests twice: the form
// carries a token only this handler knows (another origin cannot read the
// page to learn it), and a request whose Origin or Sec-Fetch-Site header
// says it came from another site is refused.
func NewOperatorPage(opt OperatorOptions) (http.Handler, error) {
	if opt.Title == "" {
		opt.Title = "accord operator page"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var tok [24]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("accord: operator page token: %w", err)
	}
	seen := map[string]bool{}
	for _, in := range opt.Integrations {
		if in.Name == "" {
			return nil, errors.New("accord: operator page: an integration has no name")
		}
		if seen[in.Name] {
			return nil, fmt.Errorf("accord: operator page: integration %q listed twice", in.Name)
		}
		seen[in.Name] = true
	}
	return &rtOperatorPage{opt: opt, token: hex.EncodeToString(tok[:])}, nil
}

type rtOperatorPage struct {
	opt   OperatorOptions
	token string
}

// OperatorView is the page's data, and the JSON document it serves.
type OperatorView struct {
	Title          string                   `json:"title"`
	GeneratedAt    time.Time                `json:"generatedAt"`
	Window         string                   `json:"window"` // the error-rate window
	RetriesEnabled bool                     `json:"retriesEnabled"`
	Toggles        bool                     `json:"toggles"` // switches can be flipped here
	Integrations   []OperatorIntegrationRow `json:"integrations"`
}

// OperatorIntegrationRow is one integration of OperatorView.
type OperatorIntegrationRow struct {
	Name       string                 `json:"name"`
	Operations []OperatorOperationRow `json:"operations"`
}

// OperatorOperationRow is one operation of OperatorView: its resolved
// policy, what the hooks saw recently and its switch.
type OperatorOperationRow struct {
	ID         string         `json:"id"`
	Method     string         `json:"method"`
	Pattern    string         `json:"pattern"`
	Policy     OperatorPolicy `json:"policy"`
	KillSwitch bool           `json:"killSwitch"` // marked risky in the contract
	// Enabled is the page's own switch; InForce what callers see, off
	// also when another source (a switch file) says so.
	Enabled     bool               `json:"enabled"`
	InForce     bool               `json:"inForce"`
	Breaker     BreakerState       `json:"breaker"`
	InFlight    int64              `json:"inFlight"`
	Calls       int                `json:"calls"`
	Errors      int                `json:"errors"`
	ErrorRate   float64            `json:"errorRate"` // errors / calls in the window, 0 without calls
	RetryDenied int                `json:"retryDenied"`
	Deprecation *OperatorDeprecate `json:"deprecation,omitempty"`
}

// OperatorPolicy is Policy as people read it (durations as strings).
type OperatorPolicy struct {
	Timeout     string `json:"timeout,omitempty"`
	Budget      string `json:"budget,omitempty"`
	Retries     int    `json:"retries"`
	Idempotency string `json:"idempotency,omitempty"`
	KeyHonoured bool   `json:"keyHonoured"`
	Signature   string `json:"signature,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	Breaker     string `json:"breaker,omitempty"`
}

// OperatorDeprecate is an operation's deprecation; dates are "" when the
// contract gives none.
type OperatorDeprecate struct {
	Since        string `json:"since,omitempty"`
	Sunset       string `json:"sunset,omitempty"`
	SunsetInDays int    `json:"sunsetInDays,omitempty"` // negative: past
	Past         bool   `json:"past"`
}

func (p *rtOperatorPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.opt.Authorize == nil || !p.opt.Authorize(r) {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: "the operator page needs an authorised caller"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		v := p.View()
		if r.URL.Query().Get("format") == "json" || strings.HasSuffix(r.URL.Path, ".json") {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(v)
			return
		}
		p.writeHTML(w, r, v)
	case http.MethodPost:
		p.toggle(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		WriteProblem(w, r, ProblemDetails{Status: http.StatusMethodNotAllowed})
	}
}

// View gathers the page's data now.
func (p *rtOperatorPage) View() OperatorView {
	now := p.opt.Now()
	v := OperatorView{Title: p.opt.Title, GeneratedAt: now.UTC(), RetriesEnabled: true, Toggles: p.opt.Switches != nil}
	if sw := p.inForce(nil); sw != nil {
		v.RetriesEnabled = sw.RetriesEnabled()
	}
	if p.opt.Stats != nil {
		v.Window = p.opt.Stats.Window().String()
	}
	for _, in := range p.opt.Integrations {
		stats := in.Stats
		if stats == nil {
			stats = p.opt.Stats
		}
		if v.Window == "" && stats != nil {
			v.Window = stats.Window().String()
		}
		mem := p.switchesOf(in)
		inForce := p.inForce(in.Switches)
		if mem != nil {
			v.Toggles = true
		}
		row := OperatorIntegrationRow{Name: in.Name}
		for _, op := range in.Operations {
			o := OperatorOperationRow{
				ID: op.ID, Method: op.Method, Pattern: op.Pattern, Policy: rtOperatorPolicy(op.Policy),
				KillSwitch: op.Policy.KillSwitch, Enabled: true, InForce: true, Breaker: BreakerClosed,
			}
			if mem != nil {
				o.Enabled = mem.Enabled(op.ID)
			}
			if inForce != nil {
				o.InForce = inForce.Enabled(op.ID)
			}
			if stats != nil {
				s := stats.Snapshot(op.ID)
				o.Breaker, o.InFlight, o.Calls, o.Errors, o.RetryDenied = s.Breaker, s.InFlight, s.Calls, s.Errors, s.RetryDenied
				if s.Calls > 0 {
					o.ErrorRate = float64(s.Errors) / float64(s.Calls)
				}
			}
			if d := op.Deprecation; d != nil {
				o.Deprecation = &OperatorDeprecate{}
				if !d.Since.IsZero() {
					o.Deprecation.Since = d.Since.UTC().Format(time.DateOnly)
				}
				if !d.Sunset.IsZero() {
					o.Deprecation.Sunset = d.Sunset.UTC().Format(time.DateOnly)
					o.Deprecation.SunsetInDays = int(d.Sunset.Sub(now).Hours() / 24)
					o.Deprecation.Past = !d.Sunset.After(now)
				}
			}
			row.Operations = append(row.Operations, o)
		}
		// Risky operations first: during an incident their switches are
		// the ones people look for.
		slices.SortStableFunc(row.Operations, func(a, b OperatorOperationRow) int {
			switch {
			case a.KillSwitch == b.KillSwitch:
				return 0
			case a.KillSwitch:
				return -1
			}
			return 1
		})
		v.Integrations = append(v.Integrations, row)
	}
	return v
}

func (p *rtOperatorPage) switchesOf(in OperatorIntegration) *MemorySwitches {
	if in.Switches != nil {
		return in.Switches
	}
	return p.opt.Switches
}

// inForce is what callers consult: the page's InForce when set, else the
// integration's own switches, else the page's.
func (p *rtOperatorPage) inForce(own *MemorySwitches) Switches {
	switch {
	case p.opt.InForce != nil:
		return p.opt.InForce
	case own != nil:
		return own
	case p.opt.Switches != nil:
		return p.opt.Switches
	}
	return nil
}

func rtOperatorPolicy(p Policy) OperatorPolicy {
	d := func(v time.Duration) string {
		if v <= 0 {
			return ""
		}
		return v.String()
	}
	o := OperatorPolicy{
		Timeout: d(p.Timeout), Budget: d(p.Budget), Retries: p.Retries, Idempotency: string(p.Idempotency),
		KeyHonoured: p.KeyHonoured, Signature: p.Signature, Concurrency: p.Concurrency,
	}
	if b := p.Breaker; b.Failures > 0 {
		o.Breaker = fmt.Sprintf("%d failures", b.Failures)
		if b.Window > 0 {
			o.Breaker += " in " + b.Window.String()
		}
		if b.Cooldown > 0 {
			o.Breaker += ", cooldown " + b.Cooldown.String()
		}
	}
	return o
}

// toggle handles the form: integration, operation ("" with target
// "retries" for the global retry switch) and on=true|false.
func (p *rtOperatorPage) toggle(w http.ResponseWriter, r *http.Request) {
	if !rtOperatorSameSite(r) {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: "cross-site request refused"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusBadRequest, Detail: "unreadable form"})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(p.token)) != 1 {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: "missing or stale form token: reload the page"})
		return
	}
	var on bool
	switch r.PostForm.Get("on") {
	case "true":
		on = true
	case "false":
	default:
		WriteProblem(w, r, ProblemDetails{Status: http.StatusBadRequest, Detail: `on must be "true" or "false"`})
		return
	}
	if r.PostForm.Get("target") == "retries" {
		if p.opt.Switches == nil {
			WriteProblem(w, r, ProblemDetails{Status: http.StatusConflict, Detail: "the page has no switches to flip"})
			return
		}
		p.opt.Switches.SetRetriesEnabled(on)
	} else {
		name, id := r.PostForm.Get("integration"), r.PostForm.Get("operation")
		in, ok := p.find(name, id)
		if !ok {
			WriteProblem(w, r, ProblemDetails{Status: http.StatusNotFound, Detail: "no such integration and operation"})
			return
		}
		sw := p.switchesOf(in)
		if sw == nil {
			WriteProblem(w, r, ProblemDetails{Status: http.StatusConflict, Detail: "the page has no switches to flip"})
			return
		}
		sw.SetEnabled(id, on)
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.View())
		return
	}
	// Post/redirect/get: a reload does not post the toggle again. The
	// request's own target, not URL.Path, so that a page mounted behind
	// http.StripPrefix comes back to where it is.
	back := r.RequestURI
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = r.URL.Path
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (p *rtOperatorPage) find(name, id string) (OperatorIntegration, bool) {
	for _, in := range p.opt.Integrations {
		if in.Name != name {
			continue
		}
		for _, op := range in.Operations {
			if op.ID == id {
				return in, true
			}
		}
	}
	return OperatorIntegration{}, false
}

// rtOperatorSameSite refuses what a browser marks as coming from another site.
// Clients that are not browsers (curl with the token) send neither header.
func rtOperatorSameSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func (p *rtOperatorPage) writeHTML(w http.ResponseWriter, r *http.Request, v OperatorView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Inline style and script only; nothing may load from elsewhere, and
	// the page may not be framed (clickjacking a toggle).
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_ = rtOperatorTemplate.Execute(w, struct {
		OperatorView
		Token string
	}{v, p.token})
}

// rtOperatorTemplate is parsed once: a template is immutable after
// parsing, so sharing it is no mutable state.
var rtOperatorTemplate = template.Must(template.New("operator").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.5rem 0 .4rem}
.meta{color:#59636e;margin-bottom:1rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
code{font:12px ui-monospace,monospace}
.tag{display:inline-block;border-radius:1em;padding:0 .55em;font-size:12px;font-weight:600}
.on{background:#dafbe1;color:#116329}.off{background:#cf222e;color:#fff}
.risky{background:#fff1e5;color:#953800}.open{background:#cf222e;color:#fff}.half-open{background:#fff8c5;color:#7d4e00}.closed{background:#eef1f4;color:#59636e}
.dep{background:#fff8c5;color:#7d4e00}.past{background:#cf222e;color:#fff}
.hot{color:#cf222e;font-weight:600}
button{font:inherit;padding:.15rem .7rem;border:1px solid #d1d9e0;border-radius:6px;background:#f6f8fa;cursor:pointer}
button.danger{border-color:#cf222e;color:#cf222e}
#filter{margin:.5rem 0;padding:.25rem .5rem;width:18rem}
</style></head>
<body>
<h1>{{.Title}}</h1>
<div class="meta">at {{.GeneratedAt.Format "2006-01-02 15:04:05 UTC"}}{{if .Window}} · error rates over the last {{.Window}}{{end}} ·
retries <span id="retries" class="tag {{if .RetriesEnabled}}on{{else}}off{{end}}">{{if .RetriesEnabled}}on{{else}}off{{end}}</span>
{{if .Toggles}}<form method="post" style="display:inline"><input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="target" value="retries">
{{if .RetriesEnabled}}<input type="hidden" name="on" value="false"><button class="danger" type="submit">stop all retries</button>{{else}}<input type="hidden" name="on" value="true"><button type="submit">allow retries</button>{{end}}</form>{{end}}
· <a href="?format=json">JSON</a></div>
<input id="filter" type="search" placeholder="filter operations" aria-label="filter operations">
{{range $in := .Integrations}}
<h2>{{$in.Name}}</h2>
<table><thead><tr><th>operation</th><th>policy</th><th>breaker</th><th>in flight</th><th>errors</th><th>deprecation</th><th>switch</th></tr></thead><tbody>
{{range .Operations}}<tr class="op" data-integration="{{$in.Name}}" data-op="{{.ID}}" data-state="{{if .InForce}}on{{else}}off{{end}}">
<td><strong>{{.ID}}</strong>{{if .KillSwitch}} <span class="tag risky">kill switch</span>{{end}}<br><code>{{.Method}} {{.Pattern}}</code></td>
<td>{{with .Policy}}{{if .Timeout}}timeout {{.Timeout}}<br>{{end}}{{if .Budget}}budget {{.Budget}}<br>{{end}}retries {{.Retries}}{{if .Idempotency}}<br>idempotency {{.Idempotency}}{{if .KeyHonoured}} (key honoured){{end}}{{end}}{{if .Signature}}<br>signature {{.Signature}}{{end}}{{if .Concurrency}}<br>concurrency {{.Concurrency}}{{end}}{{if .Breaker}}<br>breaker {{.Breaker}}{{end}}{{end}}</td>
<td><span class="tag {{.Breaker}}">{{.Breaker}}</span></td>
<td>{{.InFlight}}</td>
<td{{if gt .ErrorRate 0.05}} class="hot"{{end}}>{{pct .ErrorRate}} <small>({{.Errors}}/{{.Calls}}{{if .RetryDenied}}, {{.RetryDenied}} retries denied{{end}})</small></td>
<td>{{with .Deprecation}}<span class="tag {{if .Past}}past{{else}}dep{{end}}">deprecated</span>{{if .Since}}<br>since {{.Since}}{{end}}{{if .Sunset}}<br>sunset <strong>{{.Sunset}}</strong> ({{if .Past}}passed{{else}}in {{.SunsetInDays}} days{{end}}){{end}}{{end}}</td>
<td><span class="tag state {{if .InForce}}on{{else}}off{{end}}">{{if .InForce}}on{{else}}off{{end}}</span>{{if and .Enabled (not .InForce)}} <small>(off elsewhere)</small>{{end}}
{{if $.Toggles}}<form method="post"><input type="hidden" name="token" value="{{$.Token}}"><input type="hidden" name="integration" value="{{$in.Name}}"><input type="hidden" name="operation" value="{{.ID}}">
{{if .Enabled}}<input type="hidden" name="on" value="false"><button class="toggle danger" type="submit">switch off</button>{{else}}<input type="hidden" name="on" value="true"><button class="toggle" type="submit">switch on</button>{{end}}</form>{{end}}</td>
</tr>
{{end}}</tbody></table>
{{end}}
<script>
(function(){
  var f=document.getElementById('filter');
  f.addEventListener('input',function(){
    var q=f.value.toLowerCase();
    document.querySelectorAll('tr.op').forEach(function(tr){
      tr.style.display=(tr.dataset.op.toLowerCase().indexOf(q)>=0||tr.dataset.integration.toLowerCase().indexOf(q)>=0)?'':'none';
    });
  });
  document.querySelectorAll('button.toggle.danger').forEach(function(b){
    b.form.addEventListener('submit',function(e){
      if(!window.confirm('Switch '+b.form.operation.value+' off? Callers get 503 until it is switched on again.'))e.preventDefault();
    });
  });
})();
</script>
</body></html>
`))

// OperatorStats counts what client hooks report, per operation over a
// sliding window, for the operator page: calls, errors, denied retries,
// in-flight calls and the breaker's last state. Merge Hooks() into each
// client's hooks (AddHooks).
type OperatorStats struct {
	window time.Duration
	slot   time.Duration
	now    func() time.Time
	mu     sync.Mutex
	ops    map[string]*rtOpStats
}

// rtStatSlots is how many buckets the window is cut into: the rate moves
// in steps of window/rtStatSlots, fine enough for a page people reload.
const rtStatSlots = 12

type rtStatBucket struct {
	slot                  int64 // which slot of time it counts; stale ones are reset
	calls, errors, denied int
}

type rtOpStats struct {
	buckets  [rtStatSlots]rtStatBucket
	inFlight int64
	breaker  BreakerState
}

// OperatorStatsOptions configures NewOperatorStats; zero values take the
// defaults in brackets.
type OperatorStatsOptions struct {
	Window time.Duration    // [1m]
	Now    func() time.Time // [time.Now]
}

// NewOperatorStats returns empty stats.
func NewOperatorStats(opt OperatorStatsOptions) *OperatorStats {
	if opt.Window <= 0 {
		opt.Window = time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	slot := opt.Window / rtStatSlots
	if slot <= 0 {
		slot = 1
	}
	return &OperatorStats{window: opt.Window, slot: slot, now: opt.Now, ops: map[string]*rtOpStats{}}
}

// Window is the span error rates are counted over.
func (s *OperatorStats) Window() time.Duration { return s.window }

// Hooks returns the hooks that feed the stats.
func (s *OperatorStats) Hooks() Hooks {
	return Hooks{
		StartCall: func(ctx context.Context, op Operation) (context.Context, func(CallInfo)) {
			s.with(op.ID, func(o *rtOpStats, _ *rtStatBucket) { o.inFlight++ })
			return ctx, func(CallInfo) { s.with(op.ID, func(o *rtOpStats, _ *rtStatBucket) { o.inFlight-- }) }
		},
		OnCall: func(c CallInfo) {
			s.with(c.Operation, func(_ *rtOpStats, b *rtStatBucket) {
				b.calls++
				// A switched-off call is the operator's doing, not the
				// provider's failure; counting it would hide recovery.
				if (c.Err != nil && !errors.Is(c.Err, ErrDisabled)) || c.StatusCode >= 500 {
					b.errors++
				}
			})
		},
		OnRetryDenied: func(i RetryDeniedInfo) {
			s.with(i.Operation, func(_ *rtOpStats, b *rtStatBucket) { b.denied++ })
		},
		OnBreakerState: func(i BreakerStateInfo) {
			s.with(i.Operation, func(o *rtOpStats, _ *rtStatBucket) { o.breaker = i.To })
		},
	}
}

func (s *OperatorStats) with(id string, f func(*rtOpStats, *rtStatBucket)) {
	cur := s.now().UnixNano() / int64(s.slot)
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ops[id]
	if o == nil {
		o = &rtOpStats{breaker: BreakerClosed}
		s.ops[id] = o
	}
	b := &o.buckets[cur%rtStatSlots]
	if b.slot != cur {
		*b = rtStatBucket{slot: cur}
	}
	f(o, b)
}

// OperatorOpStats is one operation's numbers (OperatorStats.Snapshot).
type OperatorOpStats struct {
	Calls, Errors, RetryDenied int // within the window
	InFlight                   int64
	Breaker                    BreakerState
}

// Snapshot returns the operation's numbers now.
func (s *OperatorStats) Snapshot(operationID string) OperatorOpStats {
	cur := s.now().UnixNano() / int64(s.slot)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := OperatorOpStats{Breaker: BreakerClosed}
	o := s.ops[operationID]
	if o == nil {
		return out
	}
	out.InFlight, out.Breaker = o.inFlight, o.breaker
	for _, b := range o.buckets {
		if b.slot > cur-rtStatSlots && b.slot <= cur {
			out.Calls += b.calls
			out.Errors += b.errors
			out.RetryDenied += b.denied
		}
	}
	return out
}
