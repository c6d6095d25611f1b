package eventsbench

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"sync/atomic"
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

// runRawEffect is the ceiling with the application's own work: franz-go
// produces as runRaw does (no outbox) and the consumer writes each
// message's effect row in SQL, one transaction per partition's run of a
// poll, offsets committed after; no inbox, so a redelivery would repeat an
// effect. What accord adds to this is the outbox and the inbox.
func runRawEffect(tb testing.TB, db *sql.DB, n int) time.Duration {
	tb.Helper()
	const topic = "raweffect"
	t := newTables(tb, db, "rawfx")
	cl := newCluster(tb, topic)
	ctx := context.Background()
	prod, err := kgo.NewClient(kgo.SeedBrokers(cl.ListenAddrs()...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	defer prod.Close()
	cons, err := kgo.NewClient(kgo.SeedBrokers(cl.ListenAddrs()...), kgo.ConsumerGroup("rawfx"), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	defer cons.Close()
	qEffect := "INSERT INTO " + t.effect + " (message_id) VALUES ($1)"
	start := time.Now()
	perr := make(chan error, 1)
	go func() {
		for first := 0; first < n; first += benchTxRows {
			recs := make([]*kgo.Record, 0, benchTxRows)
			for i := first; i < min(first+benchTxRows, n); i++ {
				recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(key(i)), Value: payload(i),
					Headers: []kgo.RecordHeader{{Key: "id", Value: []byte(strconv.Itoa(i))}}})
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
	var got atomic.Int64
	for got.Load() < int64(n) && pctx.Err() == nil {
		f := cons.PollFetches(pctx)
		var wg sync.WaitGroup
		f.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					tb.Error(err)
					return
				}
				defer func() { _ = tx.Rollback() }()
				for _, r := range p.Records {
					if _, err := tx.ExecContext(ctx, qEffect, string(r.Headers[0].Value)); err != nil {
						tb.Error(err)
						return
					}
				}
				if err := tx.Commit(); err != nil {
					tb.Error(err)
					return
				}
				got.Add(int64(len(p.Records)))
			}()
		})
		wg.Wait()
		if tb.Failed() {
			tb.FailNow()
		}
		if err := cons.CommitUncommittedOffsets(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if err := <-perr; err != nil {
		tb.Fatal(err)
	}
	t.checkOnce(tb, "raw+effect", n)
	return elapsed
}
