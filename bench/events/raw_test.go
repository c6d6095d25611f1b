package eventsbench

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// runRaw is the ceiling: franz-go producing the n records in batches of
// benchTxRows (acks=all, idempotent, 1 ms linger, as accord's producer)
// while a consumer group reads them back; no database at all.
func runRaw(tb testing.TB, n int) time.Duration {
	tb.Helper()
	const topic = "raw"
	cl := newCluster(tb, topic)
	ctx := context.Background()
	prod, err := kgo.NewClient(kgo.SeedBrokers(cl.ListenAddrs()...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	defer prod.Close()
	cons, err := kgo.NewClient(kgo.SeedBrokers(cl.ListenAddrs()...), kgo.ConsumerGroup("raw"), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	defer cons.Close()
	start := time.Now()
	perr := make(chan error, 1)
	go func() {
		for first := 0; first < n; first += benchTxRows {
			recs := make([]*kgo.Record, 0, benchTxRows)
			for i := first; i < min(first+benchTxRows, n); i++ {
				recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(key(i)), Value: payload(i)})
			}
			if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				perr <- err
				return
			}
		}
		perr <- nil
	}()
	pctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	got := 0
	for got < n && pctx.Err() == nil {
		f := cons.PollFetches(pctx)
		got += f.NumRecords()
		if err := cons.CommitUncommittedOffsets(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if err := <-perr; err != nil {
		tb.Fatal(err)
	}
	if got != n {
		tb.Fatalf("raw: consumed %d of %d", got, n)
	}
	return elapsed
}
