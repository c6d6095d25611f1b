package eventsbench

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkOutboxKafkaInbox runs the same work through each contender in
// one process, interleaved over BENCH_EVENTS_ROUNDS rounds, and reports the
// median messages per second of each and the ratios:
//
//   - accord: SQLOutbox.Enqueue in the producers' transactions, the
//     OutboxRelay to Kafka, an EventConsumer with an SQLInbox whose
//     transaction carries the effect;
//   - accord-maxpoll10k: the same with KafkaTransportOptions.MaxPollRecords
//     10,000 instead of the default 1,000 (more partitions per poll run in
//     parallel; see the report of issue 12);
//   - watermill-franz: Watermill v1.5 with watermill-sql v4's publisher in
//     the producers' transactions and the forwarder, over a franz-go
//     Publisher/Subscriber (the same Kafka client as accord);
//   - watermill-sarama: the same over watermill-kafka v3 (sarama), Watermill
//     as shipped;
//   - raw+effect: franz-go produce and consume with the effect row written
//     in SQL per partition run, no outbox, no inbox (the ceiling for the
//     same work without accord's guarantees);
//   - raw: franz-go produce and consume, no database at all (the ceiling
//     the issue names).
//
// Each message's effect is one SQL row written once (checked after every
// run); a run's time is from the first write to the n-th effect row.
// BENCH_EVENTS_N messages per run [10,000]; b.N does not scale it (one
// run of each is the measurement), so run it with -benchtime 1x.
func BenchmarkOutboxKafkaInbox(b *testing.B) {
	db := openPG(b)
	n := envInt("BENCH_EVENTS_N", 10_000)
	rounds := envInt("BENCH_EVENTS_ROUNDS", 3)
	contenders := []contender{
		{"accord", func(tb testing.TB, n int) time.Duration { return runAccord(tb, db, n, 0) }},
		{"accord-maxpoll10k", func(tb testing.TB, n int) time.Duration { return runAccord(tb, db, n, 10_000) }},
		{"watermill-franz", func(tb testing.TB, n int) time.Duration { return runWatermill(tb, db, n, "wmfranz", wmOverFranz) }},
		{"watermill-sarama", func(tb testing.TB, n int) time.Duration { return runWatermill(tb, db, n, "wmsarama", wmOverSarama) }},
		{"raw+effect", func(tb testing.TB, n int) time.Duration { return runRawEffect(tb, db, n) }},
		{"raw", func(tb testing.TB, n int) time.Duration { return runRaw(tb, n) }},
	}
	if only := os.Getenv("BENCH_EVENTS_ONLY"); only != "" { // profiling one contender
		contenders = slices.DeleteFunc(contenders, func(c contender) bool { return !slices.Contains(strings.Split(only, ","), c.name) })
	}
	rates := map[string][]float64{}
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			for _, c := range contenders {
				d := c.run(b, n)
				rate := float64(n) / d.Seconds()
				rates[c.name] = append(rates[c.name], rate)
				b.Logf("round %d %-16s %6d msgs in %8s: %8.0f msgs/s", r+1, c.name, n, d.Round(time.Millisecond), rate)
			}
		}
	}
	b.StopTimer()
	med := map[string]float64{}
	for name, rs := range rates {
		med[name] = median(rs)
	}
	b.ReportMetric(med["accord"], "accord-msgs/s")
	b.ReportMetric(med["accord-maxpoll10k"], "accord10k-msgs/s")
	b.ReportMetric(med["watermill-franz"], "wm-franz-msgs/s")
	b.ReportMetric(med["watermill-sarama"], "wm-sarama-msgs/s")
	b.ReportMetric(med["raw+effect"], "rawfx-msgs/s")
	b.ReportMetric(med["raw"], "raw-msgs/s")
	b.ReportMetric(med["accord"]/med["watermill-franz"], "x-wm-franz")
	b.ReportMetric(med["accord"]/med["watermill-sarama"], "x-wm-sarama")
	b.ReportMetric(med["accord"]/med["raw+effect"], "of-rawfx")
	b.ReportMetric(med["accord"]/med["raw"], "of-raw")
}

type contender struct {
	name string
	run  func(testing.TB, int) time.Duration
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
