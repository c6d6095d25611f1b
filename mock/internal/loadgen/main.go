// Command loadgen is the load generator of scripts/bench-mock.sh: a fixed
// number of keep-alive workers send a fixed mix of requests to one base URL
// for a bounded time and report requests per second and latency
// percentiles as JSON. The same binary loads every server the script
// compares, so differences are the servers'.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// step is one request of the mix: "METHOD PATH [JSON body]".
type step struct {
	method, path string
	body         []byte
}

type result struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	Non2xx    int     `json:"non2xx"`
	Seconds   float64 `json:"seconds"`
	RPS       float64 `json:"rps"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	FirstFail string  `json:"first_failure,omitempty"`
}

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() { os.Exit(run()) }

// run reports a failure on stderr and returns the exit code.
func run() int {
	if err := measure(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 1
	}
	return 0
}

func measure() error {
	base := flag.String("url", "", "base URL (loopback only)")
	workers := flag.Int("c", 32, "concurrent workers, one keep-alive connection each")
	dur := flag.Duration("d", 10*time.Second, "measured duration")
	warm := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up before the measurement")
	mix := flag.String("mix", "", "requests, ';'-separated: 'GET /path' or 'POST /path {json}'")
	var hs headers
	flag.Var(&hs, "H", "header 'Name: value' on every request (repeatable)")
	flag.Parse()
	u, err := url.Parse(*base)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", *base)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("-url %q: loopback only", *base)
	}
	if *dur <= 0 || *dur > 5*time.Minute || *workers < 1 || *workers > 1024 {
		return errors.New("-d must be in (0, 5m] and -c in [1, 1024]")
	}
	steps, err := parseMix(*mix)
	if err != nil {
		return err
	}
	header := http.Header{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if u.Scheme != "http" {
		return fmt.Errorf("-url %q: plain http only", *base)
	}
	prefix := strings.TrimSuffix(u.Path, "/")
	for i := range steps {
		steps[i].path = prefix + steps[i].path
	}
	if *warm > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), *warm)
		load(ctx, u.Host, u.Host, steps, header, *workers)
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	start := time.Now()
	per := load(ctx, u.Host, u.Host, steps, header, *workers)
	elapsed := time.Since(start).Seconds()
	var res result
	var lat []time.Duration
	for _, w := range per {
		res.Requests += len(w.lat)
		res.Errors += w.errors
		res.Non2xx += w.non2xx
		lat = append(lat, w.lat...)
		if res.FirstFail == "" {
			res.FirstFail = w.firstFail
		}
	}
	slices.Sort(lat)
	res.Seconds = elapsed
	res.RPS = float64(res.Requests) / elapsed
	if n := len(lat); n > 0 {
		res.P50ms = ms(lat[n/2])
		res.P99ms = ms(lat[min(n-1, n*99/100)])
		res.MaxMs = ms(lat[n-1])
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func parseMix(s string) ([]step, error) {
	var out []step
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.SplitN(part, " ", 3)
		if len(fields) < 2 {
			return nil, fmt.Errorf("-mix %q: want 'METHOD /path [body]'", part)
		}
		st := step{method: fields[0], path: fields[1]}
		if len(fields) == 3 {
			if !json.Valid([]byte(fields[2])) {
				return nil, fmt.Errorf("-mix %q: the body is not JSON", part)
			}
			st.body = []byte(fields[2])
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, errors.New("-mix is empty")
	}
	return out, nil
}

type worker struct {
	lat       []time.Duration
	errors    int
	non2xx    int
	firstFail string
}

func (w *worker) fail(msg string) {
	w.errors++
	if w.firstFail == "" {
		w.firstFail = msg
	}
}

// load runs the workers until ctx ends; each walks the mix from its own
// offset so every request kind is in flight at once. A worker owns one
// keep-alive connection and writes prebuilt HTTP/1.1 requests on it: the
// generator's own cost per request must stay far below the servers', or
// the fastest server measures the generator (net/http's Transport costs
// about as much per request as a fast server).
func load(ctx context.Context, addr, host string, steps []step, h http.Header, n int) []*worker {
	raw := make([][]byte, len(steps))
	for i, st := range steps {
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", st.method, st.path, host)
		for k, vs := range h {
			for _, v := range vs {
				fmt.Fprintf(&b, "%s: %s\r\n", k, v)
			}
		}
		if st.body != nil {
			fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(st.body))
		}
		b.WriteString("\r\n")
		b.Write(st.body)
		raw[i] = b.Bytes()
	}
	ws := make([]*worker, n)
	var wg sync.WaitGroup
	for i := range ws {
		w := &worker{lat: make([]time.Duration, 0, 1<<14)}
		ws[i] = w
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var conn net.Conn
			var br *bufio.Reader
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for k := i; ctx.Err() == nil; k++ {
				if conn == nil {
					c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
					if err != nil {
						if ctx.Err() == nil {
							w.fail(err.Error())
							time.Sleep(10 * time.Millisecond)
						}
						continue
					}
					conn, br = c, bufio.NewReaderSize(c, 32<<10)
				}
				st := steps[k%len(steps)]
				t0 := time.Now()
				// The run's own deadline unblocks a read in flight when it ends.
				dl, atEnd := t0.Add(10*time.Second), false
				if end, ok := ctx.Deadline(); ok && end.Before(dl) {
					dl, atEnd = end, true
				}
				_ = conn.SetDeadline(dl)
				if ctx.Err() != nil {
					break
				}
				status, keep, err := roundTrip(conn, br, raw[k%len(steps)], st.method)
				var ne net.Error
				if ctx.Err() != nil || (atEnd && errors.As(err, &ne) && ne.Timeout()) {
					break // cut off by the run's end: not a complete sample
				}
				if err != nil {
					w.fail(fmt.Sprintf("%s %s: %v", st.method, st.path, err))
					conn.Close()
					conn = nil
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
				if status < 200 || status > 299 {
					w.non2xx++
					if w.firstFail == "" {
						w.firstFail = fmt.Sprintf("%s %s: %d", st.method, st.path, status)
					}
				}
				if !keep {
					conn.Close()
					conn = nil
				}
			}
		}(i)
	}
	wg.Wait()
	return ws
}

// roundTrip writes one request and reads its response in full (Content-
// Length or chunked, through net/http's parser).
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte, method string) (int, bool, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return 0, false, err
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, false, err
	}
	resp.Body.Close()
	return resp.StatusCode, !resp.Close, nil
}
