package runtime

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestEngineOperationPolicyByIDOrGoName: an override of one operation
// applies whether it names the operation ID or the Go method, after
// WithPolicy's and before per-call options, and to no other operation.
func TestEngineOperationPolicyByIDOrGoName(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	get := Operation{ID: "getPayment", GoName: "GetPayment", Method: "GET", Policy: Policy{RetryOn: []int{503}}}
	other := Operation{ID: "listPayments", GoName: "ListPayments", Method: "GET", Policy: Policy{RetryOn: []int{503}}}
	retries := func(n int) func(*Policy) { return func(p *Policy) { p.Retries = n } }
	cases := []struct {
		name     string
		opts     []ClientOption
		call     []CallOption
		get, oth int32 // attempts of getPayment and listPayments
	}{
		{"by operation ID", []ClientOption{WithOperationPolicy("getPayment", retries(2))}, nil, 3, 1},
		{"by Go method", []ClientOption{WithOperationPolicy("GetPayment", retries(3))}, nil, 4, 1},
		{"Go method after operation ID", []ClientOption{WithOperationPolicy("GetPayment", retries(1)), WithOperationPolicy("getPayment", retries(3))}, nil, 2, 1},
		{"after WithPolicy", []ClientOption{WithOperationPolicy("GetPayment", retries(1)), WithPolicy(func(_ string, p *Policy) { p.Retries = 3 })}, nil, 2, 4},
		{"before call options", []ClientOption{WithOperationPolicy("GetPayment", retries(3))}, []CallOption{WithRetries(0)}, 1, 1},
		{"another name", []ClientOption{WithOperationPolicy("GetRefund", retries(3))}, nil, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEngine(append(c.opts, func(s *ClientSettings) { s.Rand = func() float64 { return 0 } })...)
			for _, x := range []struct {
				op   Operation
				want int32
			}{{get, c.get}, {other, c.oth}} {
				hits.Store(0)
				if _, err := e.Do(context.Background(), x.op, getReq(srv.URL), c.call...); err == nil {
					t.Fatalf("%s: a 503 is an error", x.op.ID)
				}
				if got := hits.Load(); got != x.want {
					t.Errorf("%s: %d attempts, want %d", x.op.ID, got, x.want)
				}
			}
		})
	}
}
