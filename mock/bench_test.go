package mock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// BenchmarkServeGET is the mock answering a validated, authenticated GET
// from its reply cache, in process (the handler's own cost).
func BenchmarkServeGET(b *testing.B) {
	m, err := New([]*contracts.Document{load(b, shop)}, Options{LogSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/items/itm_abcdefghij", nil)
	req.Header.Set("X-Api-Key", "k")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		m.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkLoopbackGET measures requests per second over loopback with
// keep-alive connections, several clients in parallel.
func BenchmarkLoopbackGET(b *testing.B) {
	_, srv := start(b, Options{LogSize: 1000}, shop)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", srv.URL+"/items/itm_abcdefghij", nil)
			req.Header.Set("X-Api-Key", "k")
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Error(resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
