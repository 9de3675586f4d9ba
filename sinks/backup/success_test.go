package backup

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// markerTest feeds records with event times and lists the markers.
type markerTest struct {
	t    *testing.T
	root string
	clk  *clock
	s    *Sink
	off  map[int32]int64
}

func newMarkerTest(t *testing.T, root string) *markerTest {
	m := &markerTest{t: t, root: root, clk: &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, off: map[int32]int64{}}
	m.open()
	return m
}

func (m *markerTest) open() {
	m.s = openSink(m.t, config(m.root, "table.schema.columns", "id bigint", "partition.time.field", "ts",
		"success.marker.delay.ms", "600000", "success.idle.timeout.ms", "60000"), m.clk)
}

// feed writes one record per event time ("10:20") of partition p and flushes.
func (m *markerTest) feed(p int32, times ...string) {
	m.t.Helper()
	var recs []sdk.Record
	for _, hm := range times {
		recs = append(recs, sdk.Record{Topic: "ods.events", Partition: p, Offset: m.off[p],
			Value: []byte(fmt.Sprintf(`{"id":%d,"ts":"2024-05-01 %s:00"}`, m.off[p], hm))})
		m.off[p]++
	}
	deliver(m.t, m.s, recs)
	flush(m.t, m.s)
}

// markers lists the hours (hh) that have _SUCCESS.
func (m *markerTest) markers() []string {
	var out []string
	for _, f := range files(m.t, m.root) {
		if path.Base(f) == successName {
			out = append(out, strings.TrimPrefix(path.Dir(f), "ods_events/ds=20240501/"))
		}
	}
	return out
}

func (m *markerTest) want(hours ...string) {
	m.t.Helper()
	if got := m.markers(); !slices.Equal(got, hours) {
		m.t.Fatalf("markers in %v, want %v", got, hours)
	}
}

// TestSuccessMarker: _SUCCESS appears in an hour once the watermark (the
// slowest active partition's event time minus the delay) passes its end,
// and not before; an idle partition stops holding it back; late rows
// rewrite it; a restarted task marks what its previous run left unmarked.
func TestSuccessMarker(t *testing.T) {
	root := t.TempDir()
	m := newMarkerTest(t, root)
	m.feed(0, "10:00", "10:10", "10:20", "10:50")
	m.feed(1, "10:20")
	m.want()
	m.feed(0, "11:05") // watermark 10:10: partition 1 is slow
	m.want()
	m.feed(0, "11:10")
	m.want()
	m.clk.advance(61 * time.Second) // partition 1 is idle now
	m.feed(0, "11:09")              // watermark 11:10 - 10m = 11:00: hour 10 is done
	m.want("hh=10")

	body := readMarker(t, filepath.Join(root, "ods_events/ds=20240501/hh=10", successName))
	if !slices.Equal(body.Files, []string{"part-ods.events-0-0-3.parquet", "part-ods.events-1-0-0.parquet"}) {
		t.Fatalf("marker lists %v", body.Files)
	}
	if !body.Watermark.Equal(time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("marker watermark %v", body.Watermark)
	}

	// A late row for hour 10: written, and the marker rewritten to list it.
	m.feed(1, "10:30")
	m.want("hh=10")
	body = readMarker(t, filepath.Join(root, "ods_events/ds=20240501/hh=10", successName))
	if len(body.Files) != 3 {
		t.Fatalf("marker after the late row lists %v", body.Files)
	}

	// The markers do not disturb readers of *.parquet.
	if got := query(t, openDuck(t), "SELECT count(*) FROM "+scan(root, "ods_events")); got[0][0] != "9" {
		t.Fatalf("read %s rows, want 9", got[0][0])
	}

	// Restart: the new run sees only hour 12 but marks hour 11, which the
	// previous run wrote and left unmarked.
	m.open()
	m.want("hh=10")
	m.feed(0, "12:05")
	m.want("hh=10")
	m.feed(0, "12:10")
	m.want("hh=10", "hh=11")
}

func readMarker(t *testing.T, p string) successBody {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var b successBody
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return b
}

// TestSuccessMarkerDisabled: no markers when success.marker.enabled=false.
func TestSuccessMarkerDisabled(t *testing.T) {
	root := t.TempDir()
	s := openSink(t, config(root, "success.marker.enabled", "false"), nil)
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	deliver(t, s, []sdk.Record{
		{Topic: "ods.events", Offset: 0, Value: []byte(`{}`), Timestamp: ts},
		{Topic: "ods.events", Offset: 1, Value: []byte(`{}`), Timestamp: ts.Add(5 * time.Hour)},
	})
	flush(t, s)
	for _, f := range files(t, root) {
		if path.Base(f) == successName {
			t.Fatalf("marker written: %s", f)
		}
	}
}

// TestFutureEventTime: an event time far ahead of the clock is written to
// its hour but does not mark every hour before it complete.
func TestFutureEventTime(t *testing.T) {
	root := t.TempDir()
	clk := &clock{t: time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC)}
	s := openSink(t, config(root, "success.marker.delay.ms", "0"), clk)
	deliver(t, s, []sdk.Record{
		{Topic: "ods.events", Offset: 0, Value: []byte(`{}`), Timestamp: time.Date(2024, 5, 1, 10, 20, 0, 0, time.UTC)},
		{Topic: "ods.events", Offset: 1, Value: []byte(`{}`), Timestamp: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)},
	})
	flush(t, s)
	var got []string
	for _, f := range files(t, root) {
		got = append(got, path.Dir(f)+"/"+strings.TrimSuffix(path.Base(f), ".parquet"))
	}
	want := []string{"ods_events/ds=20240501/hh=10/part-ods.events-0-0-0", "ods_events/ds=20990101/hh=00/part-ods.events-0-1-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v (and no marker)", got, want)
	}
	// Once the clock reaches 11:00 with a record of 11:00, hour 10 is done.
	clk.advance(31 * time.Minute)
	deliver(t, s, []sdk.Record{{Topic: "ods.events", Offset: 2, Value: []byte(`{}`), Timestamp: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)}})
	flush(t, s)
	if _, err := os.Stat(filepath.Join(root, "ods_events/ds=20240501/hh=10", successName)); err != nil {
		t.Fatalf("hour 10 not marked: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "ods_events/ds=20990101/hh=00", successName)); err == nil {
		t.Fatal("the far-future hour was marked")
	}
}
