package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const opsBearer = "Bearer ops-secret"

func opsAuthorize(r *http.Request) bool { return r.Header.Get("Authorization") == opsBearer }

// operatorFixture is one integration with a risky, failing operation and a
// deprecated one, a page over loopback and the switches it flips.
type operatorFixture struct {
	sw    *MemorySwitches
	stats *OperatorStats
	page  *httptest.Server
	ops   map[string]Operation
}

func newOperatorFixture(t *testing.T) *operatorFixture {
	t.Helper()
	sunset := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
	ops := []Operation{
		{ID: "getPayment", Method: "GET", Pattern: "/v1/payments/{id}", Policy: Policy{Timeout: 300 * time.Millisecond, Budget: 800 * time.Millisecond, Retries: 2},
			Deprecation: &Deprecation{Since: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Sunset: sunset}},
		{ID: "createPayment", Method: "POST", Pattern: "/v1/payments", Policy: Policy{Timeout: 2 * time.Second, Budget: 5 * time.Second,
			Idempotency: IdempotencyRequired, KeyHonoured: true, Signature: "partner-hmac", KillSwitch: true,
			Breaker: BreakerPolicy{Failures: 2, Cooldown: time.Minute}}},
	}
	f := &operatorFixture{sw: NewMemorySwitches(), stats: NewOperatorStats(OperatorStatsOptions{}), ops: map[string]Operation{}}
	for _, op := range ops {
		f.ops[op.ID] = op
	}
	h, err := NewOperatorPage(OperatorOptions{
		Integrations: []OperatorIntegration{{Name: "payments", Operations: ops}},
		Switches:     f.sw, Stats: f.stats, Authorize: opsAuthorize,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/operator/", h)
	f.page = httptest.NewServer(mux)
	t.Cleanup(f.page.Close)
	return f
}

func (f *operatorFixture) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.page.URL+path, nil)
	req.Header.Set("Authorization", opsBearer)
	return opsDo(t, req)
}

func opsDo(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

var opsTokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

func (f *operatorFixture) token(t *testing.T) string {
	t.Helper()
	_, body := f.get(t, "/operator/")
	m := opsTokenRE.FindSubmatch(body)
	if m == nil {
		t.Fatal("the page has no form token")
	}
	return string(m[1])
}

func (f *operatorFixture) post(t *testing.T, form url.Values, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", f.page.URL+"/operator/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", opsBearer)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, _ := opsDo(t, req)
	return resp
}

// TestOperatorPageJSON feeds the stats from a real client against a
// failing loopback provider and reads the page's JSON: policy, breaker,
// in-flight, error rate, deprecation and switch state.
func TestOperatorPageJSON(t *testing.T) {
	f := newOperatorFixture(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	provider := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if r.URL.Query().Get("slow") != "" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusOK)
	})
	e := NewEngine(AddHooks(f.stats.Hooks()), WithSwitches(f.sw))
	post := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "POST", provider.URL+"/v1/payments", nil)
	}
	for range 3 {
		// Unsigned here: the page shows the contract's policy, but this
		// client has no signer, and the calls must reach the provider.
		if resp, err := e.Do(context.Background(), unsigned(f.ops["createPayment"]), post, WithIdempotencyKey("k")); err == nil {
			resp.Body.Close()
		}
	}
	for range 4 {
		resp, err := e.Do(context.Background(), f.ops["getPayment"], getReq(provider.URL))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if resp, err := e.Do(context.Background(), f.ops["getPayment"], getReq(provider.URL+"?slow=1")); err == nil {
			resp.Body.Close()
		}
	})
	<-entered

	resp, body := f.get(t, "/operator/?format=json")
	close(release)
	wg.Wait()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var v OperatorView
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Integrations) != 1 || v.Integrations[0].Name != "payments" || len(v.Integrations[0].Operations) != 2 {
		t.Fatalf("integrations: %s", body)
	}
	if !v.RetriesEnabled || !v.Toggles || v.Window != "1m0s" {
		t.Errorf("header: %+v", v)
	}
	create, get := v.Integrations[0].Operations[0], v.Integrations[0].Operations[1]
	if create.ID != "createPayment" || !create.KillSwitch {
		t.Fatalf("the kill-switch operation is not listed first: %s", body)
	}
	want := OperatorPolicy{Timeout: "2s", Budget: "5s", Idempotency: "required", KeyHonoured: true, Signature: "partner-hmac", Breaker: "2 failures, cooldown 1m0s"}
	if create.Policy != want {
		t.Errorf("policy = %+v, want %+v", create.Policy, want)
	}
	// The breaker opened after two failures, so the third call failed fast
	// without reaching the provider: all three are errors.
	if create.Calls != 3 || create.Errors != 3 || create.ErrorRate != 1 || create.Breaker != BreakerOpen || !create.Enabled || !create.InForce {
		t.Errorf("createPayment: %+v", create)
	}
	if get.Calls != 4 || get.Errors != 0 || get.InFlight != 1 || get.Breaker != BreakerClosed {
		t.Errorf("getPayment (one call in flight when read): %+v", get)
	}
	if d := get.Deprecation; d == nil || d.Since != "2026-01-02" || d.Past || d.SunsetInDays < 28 || d.SunsetInDays > 30 {
		t.Errorf("deprecation: %+v", get.Deprecation)
	}
	if s := f.stats.Snapshot("getPayment"); s.InFlight != 0 || s.Calls != 5 {
		t.Errorf("after the slow call: %+v", s)
	}

	// The .json address serves the same document; the HTML page is one
	// file that loads nothing.
	if resp, body := f.get(t, "/operator/operator.json"); resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"createPayment"`)) {
		t.Errorf("operator.json: %d", resp.StatusCode)
	}
	resp, page := f.get(t, "/operator/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, bad := range []string{"src=", "<link", "@import", "url("} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page refers to an external asset (%q)", bad)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP = %q", resp.Header.Get("Content-Security-Policy"))
	}
}

// TestOperatorToggleSwitchesOperationOff posts the page's form: the
// operation is then off for a server chain sharing the switches (503 with
// Retry-After, handler not run), and on again after the second toggle.
func TestOperatorToggleSwitchesOperationOff(t *testing.T) {
	f := newOperatorFixture(t)
	var ran atomic.Int32
	srv := httptest.NewServer(Chain(unsigned(f.ops["createPayment"]), &ServerSettings{Switches: f.sw, Logger: slog.New(slog.DiscardHandler)},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1); w.WriteHeader(201) })))
	defer srv.Close()
	call := func() int {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/payments", nil)
		req.Header.Set("Idempotency-Key", fmt.Sprint("k", time.Now().UnixNano()))
		resp, _ := opsDo(t, req)
		return resp.StatusCode
	}
	if got := call(); got != 201 {
		t.Fatalf("before the toggle: %d", got)
	}
	tok := f.token(t)
	resp := f.post(t, url.Values{"token": {tok}, "integration": {"payments"}, "operation": {"createPayment"}, "on": {"false"}},
		map[string]string{"Origin": f.page.URL, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/operator/" {
		t.Fatalf("toggle: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if f.sw.Enabled("createPayment") || !f.sw.Enabled("getPayment") {
		t.Fatal("the toggle did not switch createPayment (alone) off")
	}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/payments", nil)
	req.Header.Set("Idempotency-Key", "off-1")
	r503, body := opsDo(t, req)
	if r503.StatusCode != 503 || r503.Header.Get("Retry-After") == "" || ran.Load() != 1 {
		t.Fatalf("switched off: %d Retry-After %q, handler ran %d times\n%s", r503.StatusCode, r503.Header.Get("Retry-After"), ran.Load(), body)
	}
	_, page := f.get(t, "/operator/")
	if !regexp.MustCompile(`data-op="createPayment" data-state="off"`).Match(page) {
		t.Error("the page does not show createPayment off")
	}

	// The global retry switch, and back on, by a client asking for JSON.
	resp = f.post(t, url.Values{"token": {tok}, "target": {"retries"}, "on": {"false"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || f.sw.RetriesEnabled() {
		t.Fatalf("retries toggle: %d, enabled %v", resp.StatusCode, f.sw.RetriesEnabled())
	}
	req, _ = http.NewRequest("POST", f.page.URL+"/operator/", strings.NewReader(url.Values{"token": {tok}, "integration": {"payments"}, "operation": {"createPayment"}, "on": {"true"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", opsBearer)
	req.Header.Set("Accept", "application/json")
	resp, body = opsDo(t, req)
	var v OperatorView
	if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("JSON toggle: %d %v", resp.StatusCode, err)
	}
	if !v.Integrations[0].Operations[0].Enabled || v.RetriesEnabled {
		t.Errorf("after switching on: %+v", v)
	}
	if got := call(); got != 201 || ran.Load() != 2 {
		t.Fatalf("switched on again: %d, ran %d", got, ran.Load())
	}
}

// TestOperatorRefusesUnauthorised: without the server's authentication,
// with a missing token, or from another site, nothing is shown or flipped.
func TestOperatorRefusesUnauthorised(t *testing.T) {
	f := newOperatorFixture(t)
	tok := f.token(t)
	off := url.Values{"token": {tok}, "integration": {"payments"}, "operation": {"createPayment"}, "on": {"false"}}

	for _, path := range []string{"/operator/", "/operator/?format=json"} {
		resp, _ := opsDo(t, must(http.NewRequest("GET", f.page.URL+path, nil)))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s without credentials: %d", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", f.page.URL+"/operator/", strings.NewReader(off.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer guessed")
	if resp, _ := opsDo(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with wrong credentials: %d", resp.StatusCode)
	}
	noToken := url.Values{"integration": {"payments"}, "operation": {"createPayment"}, "on": {"false"}}
	if resp := f.post(t, noToken, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without the form token: %d", resp.StatusCode)
	}
	for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}} {
		if resp := f.post(t, off, h); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST with %v: %d", h, resp.StatusCode)
		}
	}
	if resp := f.post(t, url.Values{"token": {tok}, "integration": {"payments"}, "operation": {"nope"}, "on": {"false"}}, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown operation: %d", resp.StatusCode)
	}
	if !f.sw.Enabled("createPayment") {
		t.Fatal("a refused request switched the operation off")
	}

	// No Authorize at all fails closed.
	h, err := NewOperatorPage(OperatorOptions{Switches: f.sw})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/operator/", nil))
	if rec.Code != http.StatusForbidden {
		t.Errorf("nil Authorize: %d", rec.Code)
	}
}

func unsigned(op Operation) Operation {
	op.Policy.Signature = ""
	return op
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOperatorStatsWindow: counts leave the window as the clock moves.
func TestOperatorStatsWindow(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := NewOperatorStats(OperatorStatsOptions{Window: time.Minute, Now: func() time.Time { return now }})
	h := s.Hooks()
	h.OnCall(CallInfo{Operation: "a", StatusCode: 500})
	h.OnCall(CallInfo{Operation: "a", Err: ErrDisabled})
	now = now.Add(40 * time.Second)
	h.OnCall(CallInfo{Operation: "a", StatusCode: 200})
	h.OnRetryDenied(RetryDeniedInfo{Operation: "a"})
	if got := s.Snapshot("a"); got.Calls != 3 || got.Errors != 1 || got.RetryDenied != 1 {
		t.Fatalf("within the window: %+v", got)
	}
	now = now.Add(30 * time.Second) // the first two are 70s old
	if got := s.Snapshot("a"); got.Calls != 1 || got.Errors != 0 {
		t.Fatalf("after 70s: %+v", got)
	}
	now = now.Add(time.Hour)
	if got := s.Snapshot("a"); got.Calls != 0 || got.RetryDenied != 0 || got.Breaker != BreakerClosed {
		t.Fatalf("an hour later: %+v", got)
	}
}

// operatorChromiumFlags start a headless Chromium that reaches for
// nothing: this machine's network is closed, and the page needs none.
var operatorChromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--remote-debugging-pipe",
}

// cdpPipe speaks the DevTools protocol over --remote-debugging-pipe
// (NUL-terminated JSON on fds 3 and 4), which needs no WebSocket client.
type cdpPipe struct {
	w       io.Writer
	r       *bufio.Reader
	id      int
	session string
	dialogs int // confirm() dialogs accepted
}

func (c *cdpPipe) send(method string, params any) (int, error) {
	c.id++
	msg := map[string]any{"id": c.id, "method": method, "params": params}
	if c.session != "" {
		msg["sessionId"] = c.session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return 0, err
	}
	_, err = c.w.Write(append(b, 0))
	return c.id, err
}

// call sends one command and reads until its answer, accepting any
// confirm() dialog meanwhile (the page asks before switching off).
func (c *cdpPipe) call(method string, params any) (json.RawMessage, error) {
	id, err := c.send(method, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		raw, err := c.r.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("%s: reading the answer: %w", method, err)
		}
		var m struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if m.Method == "Page.javascriptDialogOpening" {
			c.dialogs++
			if _, err := c.send("Page.handleJavaScriptDialog", map[string]any{"accept": true}); err != nil {
				return nil, err
			}
			continue
		}
		if m.ID != id {
			continue
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	}
}

// eval runs a script in the page and decodes its value into out.
func (c *cdpPipe) eval(expr string, out any) error {
	res, err := c.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *json.RawMessage `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("script failed: %s", *r.ExceptionDetails)
	}
	if len(r.Result.Value) == 0 {
		return errors.New("script returned nothing")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// waitFor polls a script (the page may be navigating) until it returns
// want, for at most 200 tries.
func (c *cdpPipe) waitFor(t *testing.T, expr, want string) {
	t.Helper()
	var got string
	for range 200 {
		if err := c.eval(expr, &got); err == nil && got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s = %q, want %q", expr, got, want)
}

// TestOperatorPageInChromium opens the page in headless Chromium (Debian's
// chromium package) with the operator's credentials, clicks createPayment's
// toggle with a real mouse event, accepts the confirmation, and checks that
// the switch is off on the server and on the reloaded page, then that a
// screenshot shows content including the red "off" tag.
func TestOperatorPageInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on PATH (apt-get install chromium); CI=true makes this fatal")
		}
		t.Skip("no chromium on PATH (apt-get install chromium): the operator page's rendering is not checked")
	}
	f := newOperatorFixture(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	toChrome, ourW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourR, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, append(operatorChromiumFlags, "--user-data-dir="+t.TempDir(), "about:blank")...)
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fds 3 and 4
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	fromChrome.Close()
	defer func() {
		ourW.Close()
		cancel()
		_ = cmd.Wait()
		ourR.Close()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.Bytes())
		}
	}()
	c := &cdpPipe{w: ourW, r: bufio.NewReader(ourR)}
	fatal := func(_ json.RawMessage, err error) json.RawMessage {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return nil
	}

	res, err := c.call("Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		t.Fatal(err)
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	_ = json.Unmarshal(res, &target)
	res, err = c.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil {
		t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	_ = json.Unmarshal(res, &attached)
	c.session = attached.SessionID
	fatal(c.call("Page.enable", map[string]any{}))
	fatal(c.call("Network.enable", map[string]any{}))
	// The page sits behind the server's authentication: the browser sends
	// the operator's credentials, as a login proxy would.
	fatal(c.call("Network.setExtraHTTPHeaders", map[string]any{"headers": map[string]string{"Authorization": opsBearer}}))
	fatal(c.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1200, "height": 800, "deviceScaleFactor": 1, "mobile": false}))
	fatal(c.call("Page.navigate", map[string]any{"url": f.page.URL + "/operator/"}))

	const row = `document.querySelector('tr.op[data-op="createPayment"]')`
	c.waitFor(t, `document.readyState === 'complete' && `+row+` ? `+row+`.dataset.state : ''`, "on")
	before := c.screenshot(t)
	var box struct{ X, Y float64 }
	if err := c.eval(`(function(){var r=`+row+`.querySelector('button.toggle').getBoundingClientRect();return {X:r.x+r.width/2,Y:r.y+r.height/2}})()`, &box); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		fatal(c.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": box.X, "y": box.Y, "button": "left", "clickCount": 1}))
	}
	c.waitFor(t, row+` ? `+row+`.dataset.state : ''`, "off")
	if f.sw.Enabled("createPayment") || !f.sw.Enabled("getPayment") {
		t.Fatal("the click did not switch createPayment (alone) off on the server")
	}
	if c.dialogs != 1 {
		t.Errorf("%d confirmation dialogs, want 1", c.dialogs)
	}
	var label string
	if err := c.eval(row+`.querySelector('button.toggle').textContent`, &label); err != nil || label != "switch on" {
		t.Errorf("the toggle now reads %q (%v)", label, err)
	}

	shot := c.screenshot(t)
	if dir := os.Getenv("ACCORD_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "operator.png"), shot.png, 0o644)
	}
	t.Logf("screenshot: %d of %d sampled pixels inked, %d red (%d before the click)", shot.ink, shot.total, shot.red, before.red)
	if shot.ink < shot.total/100 {
		t.Errorf("the screenshot is nearly blank: %d of %d sampled pixels inked", shot.ink, shot.total)
	}
	// The "off" tag is drawn: most of its box is the page's red.
	var tag struct{ X, Y, W, H float64 }
	if err := c.eval(`(function(){var r=`+row+`.querySelector('.state').getBoundingClientRect();return {X:r.x,Y:r.y,W:r.width,H:r.height}})()`, &tag); err != nil {
		t.Fatal(err)
	}
	inTag, redInTag := 0, 0
	for y := int(tag.Y); y < int(tag.Y+tag.H); y++ {
		for x := int(tag.X); x < int(tag.X+tag.W); x++ {
			inTag++
			if cdpRed(shot.img.At(x, y)) {
				redInTag++
			}
		}
	}
	t.Logf("off tag %.0fx%.0f at (%.0f,%.0f): %d of %d pixels red", tag.W, tag.H, tag.X, tag.Y, redInTag, inTag)
	if inTag == 0 || redInTag*2 < inTag {
		t.Errorf("the off tag is not visibly red: %d of %d pixels", redInTag, inTag)
	}
	_, _ = c.call("Browser.close", map[string]any{})
}

type cdpShot struct {
	png             []byte
	img             image.Image
	ink, red, total int
}

// screenshot captures the viewport and counts sampled pixels that are not
// near-white (ink) and those of the page's red, #cf222e.
func (c *cdpPipe) screenshot(t *testing.T) cdpShot {
	t.Helper()
	res, err := c.call("Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		t.Fatal(err)
	}
	var shot struct {
		Data string `json:"data"`
	}
	_ = json.Unmarshal(res, &shot)
	raw, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := cdpShot{png: raw, img: img}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			out.total++
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 200 || g>>8 < 200 || bl>>8 < 200 {
				out.ink++
			}
			if cdpRed(img.At(x, y)) {
				out.red++
			}
		}
	}
	return out
}

// cdpRed: the page's red, #cf222e, give or take antialiasing.
func cdpRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	r, g, b = r>>8, g>>8, b>>8
	return r > 180 && r < 230 && g < 70 && b < 80
}

// BenchmarkOperatorStatsHooks is what the stats add to one client call:
// StartCall, its end and OnCall, on one operation from every core.
func BenchmarkOperatorStatsHooks(b *testing.B) {
	h := NewOperatorStats(OperatorStatsOptions{}).Hooks()
	op := Operation{ID: "createPayment"}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, end := h.StartCall(ctx, op)
			info := CallInfo{Operation: op.ID, StatusCode: 200}
			h.OnCall(info)
			end(info)
		}
	})
}

// BenchmarkOperatorPageJSON renders the JSON of 10 integrations of 20
// operations each, a large deployment's page.
func BenchmarkOperatorPageJSON(b *testing.B) {
	stats := NewOperatorStats(OperatorStatsOptions{})
	var ins []OperatorIntegration
	for i := range 10 {
		in := OperatorIntegration{Name: fmt.Sprint("partner", i)}
		for j := range 20 {
			in.Operations = append(in.Operations, Operation{ID: fmt.Sprint("op", j), Method: "POST", Pattern: "/v1/things", Policy: Policy{Timeout: time.Second, Budget: 3 * time.Second, Retries: 2}})
		}
		ins = append(ins, in)
	}
	for j := range 20 {
		stats.Hooks().OnCall(CallInfo{Operation: fmt.Sprint("op", j), StatusCode: 500})
	}
	h, err := NewOperatorPage(OperatorOptions{Integrations: ins, Switches: NewMemorySwitches(), Stats: stats, Authorize: func(*http.Request) bool { return true }})
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"json", "html"} {
		b.Run(format, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/operator/?format="+format, nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
				b.SetBytes(int64(rec.Body.Len()))
			}
		})
	}
}
