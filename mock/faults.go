package mock

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Fault is one injected misbehaviour for the operations it names. The zero
// values mean "not this kind"; Rate 0 means always.
type Fault struct {
	// Operation is an operationId, "METHOD /path", or "*" for every operation.
	Operation string `yaml:"operation"`
	// Rate is the probability (0..1] that a request gets the fault.
	Rate float64 `yaml:"rate"`
	// Times limits the fault to the first n requests it applies to.
	Times int `yaml:"times"`
	// Status answers with this status (a problem) instead of the operation.
	Status int `yaml:"status"`
	// RetryAfter goes with Status; a 429 or 503 without it gets "1".
	RetryAfter string `yaml:"retryAfter"`
	// Latency delays the answer: uniform in [LatencyMin, LatencyMax], or
	// log-normal with median P50 and 99th percentile P99.
	LatencyMin, LatencyMax time.Duration `yaml:"-"`
	P50, P99               time.Duration `yaml:"-"`
	// Reset closes the connection without an answer (a TCP RST).
	Reset bool `yaml:"reset"`
	// Hang holds the request without an answer until the client gives up.
	Hang bool `yaml:"hang"`
	// Duplicate sends each webhook this fault applies to twice; Reorder
	// delays it behind the next one.
	Duplicate bool `yaml:"duplicate"`
	Reorder   bool `yaml:"reorder"`
}

// faultFile is the YAML form: a list under "faults".
type faultFile struct {
	Faults []yamlFault `yaml:"faults"`
}

type yamlFault struct {
	Fault   `yaml:",inline"`
	Latency string `yaml:"latency"`
	P50     string `yaml:"p50"`
	P99     string `yaml:"p99"`
}

// ParseFaultFile reads the YAML fault file format (README: "Fault file").
func ParseFaultFile(data []byte) ([]Fault, error) {
	var f faultFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("fault file: %w", err)
	}
	out := make([]Fault, 0, len(f.Faults))
	for i, yf := range f.Faults {
		ft := yf.Fault
		var err error
		if yf.Latency != "" {
			if ft.LatencyMin, ft.LatencyMax, err = parseLatency(yf.Latency); err != nil {
				return nil, fmt.Errorf("fault %d: latency: %w", i+1, err)
			}
		}
		for _, d := range []struct {
			s   string
			dst *time.Duration
		}{{yf.P50, &ft.P50}, {yf.P99, &ft.P99}} {
			if d.s != "" {
				if *d.dst, err = time.ParseDuration(d.s); err != nil {
					return nil, fmt.Errorf("fault %d: %w", i+1, err)
				}
			}
		}
		if err := ft.check(); err != nil {
			return nil, fmt.Errorf("fault %d: %w", i+1, err)
		}
		out = append(out, ft)
	}
	return out, nil
}

// ParseFault reads the flag form: "OPERATION:key=value,key=value", e.g.
// "createPayment:status=503,rate=0.5" or "*:latency=50ms..300ms".
func ParseFault(s string) (Fault, error) {
	op, spec, ok := strings.Cut(s, ":")
	if !ok || op == "" {
		return Fault{}, fmt.Errorf("fault %q: want OPERATION:key=value,... (OPERATION may be *)", s)
	}
	f := Fault{Operation: op}
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		var err error
		switch k {
		case "status":
			f.Status, err = strconv.Atoi(v)
		case "rate":
			f.Rate, err = strconv.ParseFloat(v, 64)
		case "times":
			f.Times, err = strconv.Atoi(v)
		case "retry-after", "retryAfter":
			f.RetryAfter = v
		case "latency":
			f.LatencyMin, f.LatencyMax, err = parseLatency(v)
		case "p50":
			f.P50, err = time.ParseDuration(v)
		case "p99":
			f.P99, err = time.ParseDuration(v)
		case "reset":
			f.Reset = true
		case "hang":
			f.Hang = true
		case "duplicate":
			f.Duplicate = true
		case "reorder":
			f.Reorder = true
		default:
			return Fault{}, fmt.Errorf("fault %q: unknown key %q (status, rate, times, retry-after, latency, p50, p99, reset, hang, duplicate, reorder)", s, k)
		}
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: %s: %w", s, k, err)
		}
	}
	if err := f.check(); err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", s, err)
	}
	return f, nil
}

// parseLatency reads "200ms" or "50ms..300ms".
func parseLatency(s string) (lo, hi time.Duration, err error) {
	a, b, isRange := strings.Cut(s, "..")
	if lo, err = time.ParseDuration(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = time.ParseDuration(b); err != nil {
			return 0, 0, err
		}
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("%s: the upper bound is below the lower", s)
	}
	return lo, hi, nil
}

func (f Fault) check() error {
	switch {
	case f.Operation == "":
		return fmt.Errorf("no operation (use * for all)")
	case f.Rate < 0 || f.Rate > 1:
		return fmt.Errorf("rate %v is outside 0..1", f.Rate)
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("status %d is not an HTTP status", f.Status)
	case (f.P50 == 0) != (f.P99 == 0):
		return fmt.Errorf("p50 and p99 go together")
	case f.P99 < f.P50:
		return fmt.Errorf("p99 is below p50")
	case f.Status == 0 && !f.Reset && !f.Hang && !f.Duplicate && !f.Reorder && f.LatencyMax == 0 && f.P50 == 0:
		return fmt.Errorf("no effect: give status, latency, p50/p99, reset, hang, duplicate or reorder")
	}
	return nil
}

// decision is what the fault set chose for one request.
type decision struct {
	latency    time.Duration
	status     int
	retryAfter string
	reset      bool
	hang       bool
	duplicate  bool
	reorder    bool
	// names lists what applied, for the request log.
	names []string
}

// faultSet draws decisions. One generator per rule, consumed under a lock in
// arrival order, makes a run with the same seed and the same request
// sequence inject the same faults.
type faultSet struct {
	mu    sync.Mutex
	rules []faultRule
}

type faultRule struct {
	Fault
	rng  *rand.Rand
	used int
}

func newFaultSet(faults []Fault, seed uint64) *faultSet {
	fs := &faultSet{}
	for i, f := range faults {
		fs.rules = append(fs.rules, faultRule{Fault: f, rng: rand.New(rand.NewPCG(seed, uint64(i)+1))})
	}
	return fs
}

func (fs *faultSet) decide(opID, method, path string) decision {
	var d decision
	if fs == nil || len(fs.rules) == 0 {
		return d
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.rules {
		r := &fs.rules[i]
		if r.Operation != "*" && r.Operation != opID && r.Operation != method+" "+path {
			continue
		}
		if r.Times > 0 && r.used >= r.Times {
			continue
		}
		if r.Rate > 0 && r.Rate < 1 && r.rng.Float64() >= r.Rate {
			continue
		}
		r.used++
		switch {
		case r.P50 > 0:
			// Log-normal: the median is P50 and z(0.99) = 2.326 sigmas
			// reach P99.
			sigma := math.Log(float64(r.P99)/float64(r.P50)) / 2.326
			d.latency += time.Duration(float64(r.P50) * math.Exp(sigma*r.rng.NormFloat64()))
		case r.LatencyMax > r.LatencyMin:
			d.latency += r.LatencyMin + time.Duration(r.rng.Int64N(int64(r.LatencyMax-r.LatencyMin)+1))
		default:
			d.latency += r.LatencyMin
		}
		if r.Status != 0 && d.status == 0 {
			d.status, d.retryAfter = r.Status, r.RetryAfter
			if d.retryAfter == "" && (r.Status == 429 || r.Status == 503) {
				d.retryAfter = "1"
			}
			d.names = append(d.names, "status="+strconv.Itoa(r.Status))
		}
		if r.Reset {
			d.reset = true
			d.names = append(d.names, "reset")
		}
		if r.Hang {
			d.hang = true
			d.names = append(d.names, "hang")
		}
		d.duplicate = d.duplicate || r.Duplicate
		d.reorder = d.reorder || r.Reorder
		if r.LatencyMax > 0 || r.P50 > 0 {
			d.names = append(d.names, "latency")
		}
	}
	return d
}
