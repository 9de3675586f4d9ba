package datagen

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

type value struct {
	ID      int64  `json:"id"`
	TS      int64  `json:"ts"`
	Payload string `json:"payload"`
}

func openGen(t *testing.T, cfg sdk.Config, last ...sdk.Position) *Source {
	t.Helper()
	full := sdk.Config{"topic": "gen", "batch.size": "10"}
	for k, v := range cfg {
		full[k] = v
	}
	s := &Source{}
	if err := s.Open(context.Background(), full, last); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// read reads whole batches until it has n records, and returns the first n.
func read(t *testing.T, s *Source, n int) []sdk.Record {
	t.Helper()
	var out []sdk.Record
	for len(out) < n {
		recs, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > s.cfg.BatchSize {
			t.Fatalf("Read returned %d records, batch.size is %d", len(recs), s.cfg.BatchSize)
		}
		out = append(out, recs...)
	}
	return out[:n]
}

func readBatch(t *testing.T, s *Source) []sdk.Record {
	t.Helper()
	recs, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func decode(t *testing.T, r sdk.Record) value {
	t.Helper()
	var v value
	if err := json.Unmarshal(r.Value, &v); err != nil {
		t.Fatalf("value %s: %v", r.Value, err)
	}
	if string(r.Key) != strconv.FormatInt(v.ID, 10) {
		t.Fatalf("key %q for id %d", r.Key, v.ID)
	}
	return v
}

func TestRecords(t *testing.T) {
	s := openGen(t, sdk.Config{"name": "demo", "payload.bytes": "33"})
	before := time.Now().UnixMilli()
	recs := read(t, s, 20)
	for i, r := range recs {
		v := decode(t, r)
		if v.ID != int64(i) || len(v.Payload) != 33 || v.TS < before || v.TS > time.Now().UnixMilli() {
			t.Fatalf("record %d = %+v", i, v)
		}
		if r.Topic != "gen" || r.Partition != -1 {
			t.Fatalf("record %d topic %q partition %d", i, r.Topic, r.Partition)
		}
		if r.Position.Partition[partitionKey] != "demo" || r.Position.Offset[offsetKey] != int64(i+1) {
			t.Fatalf("record %d position %+v", i, r.Position)
		}
	}
	if decode(t, recs[0]).Payload == decode(t, recs[1]).Payload {
		t.Fatal("two records have the same payload")
	}
}

func TestDeterministic(t *testing.T) {
	a := read(t, openGen(t, nil), 30)
	b := read(t, openGen(t, sdk.Config{"seed": "1", "batch.size": "7"}), 30)
	c := read(t, openGen(t, sdk.Config{"seed": "2"}), 30)
	differ := 0
	for i := range a {
		va, vb, vc := decode(t, a[i]), decode(t, b[i]), decode(t, c[i])
		if va.ID != vb.ID || va.Payload != vb.Payload || string(a[i].Key) != string(b[i].Key) {
			t.Fatalf("record %d differs with the same seed: %+v vs %+v", i, va, vb)
		}
		if va.Payload != vc.Payload {
			differ++
		}
	}
	if differ != len(a) {
		t.Fatalf("seed 2 repeated %d payloads of seed 1", len(a)-differ)
	}
}

func TestResume(t *testing.T) {
	all := read(t, openGen(t, sdk.Config{"name": "g"}), 40)
	for name, next := range map[string]any{"float64": float64(17), "json.Number": json.Number("17"), "int64": int64(17)} {
		t.Run(name, func(t *testing.T) {
			last := []sdk.Position{
				{Partition: map[string]any{partitionKey: "other"}, Offset: map[string]any{offsetKey: float64(3)}},
				{Partition: map[string]any{partitionKey: "g"}, Offset: map[string]any{offsetKey: next}},
			}
			resumed := read(t, openGen(t, sdk.Config{"name": "g"}, last...), 20)
			for i, r := range resumed {
				got, want := decode(t, r), decode(t, all[17+i])
				if got.ID != want.ID || got.Payload != want.Payload {
					t.Fatalf("resumed record %d = %+v, want %+v", i, got, want)
				}
			}
		})
	}
	t.Run("default name", func(t *testing.T) {
		last := []sdk.Position{{Partition: map[string]any{partitionKey: "datagen"}, Offset: map[string]any{offsetKey: float64(5)}}}
		if v := decode(t, read(t, openGen(t, nil, last...), 1)[0]); v.ID != 5 {
			t.Fatalf("resumed at %d, want 5", v.ID)
		}
	})
	t.Run("bad position", func(t *testing.T) {
		last := []sdk.Position{{Partition: map[string]any{partitionKey: "datagen"}, Offset: map[string]any{offsetKey: "5"}}}
		if err := (&Source{}).Open(context.Background(), sdk.Config{"topic": "t"}, last); err == nil {
			t.Fatal("Open accepted a broken position")
		}
	})
}

func TestCountStops(t *testing.T) {
	s := openGen(t, sdk.Config{"count": "15"})
	recs := readBatch(t, s)
	recs = append(recs, readBatch(t, s)...)
	if len(recs) != 15 || decode(t, recs[14]).ID != 14 {
		t.Fatalf("read %d records up to the count of 15", len(recs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if recs, err := s.Read(ctx); len(recs) != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read after count = %d records, %v", len(recs), err)
	}

	// The count holds across restarts.
	last := []sdk.Position{{Partition: map[string]any{partitionKey: "datagen"}, Offset: map[string]any{offsetKey: float64(13)}}}
	s = openGen(t, sdk.Config{"count": "15"}, last...)
	if recs := readBatch(t, s); len(recs) != 2 || decode(t, recs[1]).ID != 14 {
		t.Fatal("resumed generator did not end at the count")
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if recs, err := s.Read(ctx2); len(recs) != 0 || err == nil {
		t.Fatalf("Read after count = %d records, %v", len(recs), err)
	}
}

func TestRate(t *testing.T) {
	s := openGen(t, sdk.Config{"rate": "20", "batch.size": "1000"})
	start := time.Now()
	if recs := readBatch(t, s); len(recs) != 1 {
		t.Fatalf("first read at 20/s returned %d records, want the 1 due at the start", len(recs))
	}
	// Records 1..4 are due 50, 100, 150 and 200 ms after the start.
	n := 1
	for n < 5 {
		recs, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(recs)
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("5 records at 20/s took only %v", d)
	}
}

func TestConfig(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.Spec(Plugin.Config); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []sdk.Config{
		{},
		{"topic": "t", "rate": "-1"},
		{"topic": "t", "count": "-1"},
		{"topic": "t", "batch.size": "0"},
		{"topic": "t", "payload.bytes": "-2"},
		{"topic": "t", "rate": "+Inf"},
	} {
		if err := (&Source{}).Open(context.Background(), bad, nil); err == nil {
			t.Fatalf("Open accepted %v", bad)
		}
	}
	var c Config
	if err := sdk.Decode(sdk.Config{"topic": "t"}, &c); err != nil {
		t.Fatal(err)
	}
	if c.BatchSize != 1000 || c.PayloadBytes != 64 || c.Seed != 1 || c.Rate != 0 || c.Count != 0 {
		t.Fatalf("defaults %+v", c)
	}
}
