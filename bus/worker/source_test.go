package worker_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/sources/datagen"
)

// Both delivery modes of source tasks store the position of the last record
// delivered, and every record arrives once.
func TestSourceTaskStoresPositionsAfterDelivery(t *testing.T) {
	for _, exactlyOnce := range []bool{true, false} {
		t.Run(fmt.Sprintf("exactly.once.source=%v", exactlyOnce), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			w := startWorker(ctx, t, func(c *worker.Config) { c.ExactlyOnceSource = exactlyOnce }, datagen.Plugin)
			cfg := w.Config()
			const n = 500
			if _, _, err := w.PutConnectorConfig(ctx, "gen", map[string]string{
				"connector.class": datagen.Plugin.Class, "topic": "gen", "count": strconv.Itoa(n), "batch.size": "100",
			}); err != nil {
				t.Fatal(err)
			}
			got := brokertest.Consume(t, cfg.Kafka.Bootstrap(), "gen", n)
			for i, m := range got {
				if string(m.Key) != strconv.Itoa(i) {
					t.Fatalf("record %d has key %q: lost or duplicated records", i, m.Key)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				offs, err := w.Offsets(ctx, "gen")
				if err == nil && len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["next"]) == strconv.Itoa(n) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("stored positions %+v %v, want next=%d", offs, err, n)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
