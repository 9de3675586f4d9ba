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

	// A late row for hour 10: written, and the marker rewritten to list it
	// once partition 1, active again and holding the watermark back at
	// 10:30, is past the hour again or idle.
	m.feed(1, "10:30")
	m.want("hh=10")
	if body := readMarker(t, filepath.Join(root, "ods_events/ds=20240501/hh=10", successName)); len(body.Files) != 2 {
		t.Fatalf("marker rewritten while partition 1 fills hour 10: %v", body.Files)
	}
	m.feed(1, "11:05")
	m.want("hh=10")
	m.feed(1, "11:12")
	body = readMarker(t, filepath.Join(root, "ods_events/ds=20240501/hh=10", successName))
	if len(body.Files) != 3 {
		t.Fatalf("marker after the late row lists %v", body.Files)
	}

	// The markers do not disturb readers of *.parquet.
	if got := query(t, openDuck(t), "SELECT count(*) FROM "+scan(root, "ods_events")); got[0][0] != "11" {
		t.Fatalf("read %s rows, want 11", got[0][0])
	}

	// Restart: the new run sees only hour 12 but marks hour 11, which the
	// previous run wrote and left unmarked; not before the idle timeout has
	// passed since it opened, as partition 1 may yet come with rows for it.
	m.open()
	m.want("hh=10")
	m.feed(0, "12:05")
	m.want("hh=10")
	m.feed(0, "12:10")
	m.want("hh=10")
	m.clk.advance(61 * time.Second)
	m.feed(0, "12:11")
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

// TestWatermarkCappedAtClock: an event time ahead of the wall clock (a
// producer whose clock runs fast) counts as the clock's time, so the
// running hour is not marked before it is over.
func TestWatermarkCappedAtClock(t *testing.T) {
	root := t.TempDir()
	clk := &clock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := openSink(t, config(root, "success.marker.delay.ms", "0"), clk)
	clk.advance(30 * time.Minute) // 10:30, past the idle timeout since Open
	at := func(off int64, hm string) sdk.Record {
		ts, _ := time.Parse("15:04", hm)
		return sdk.Record{Topic: "ods.events", Offset: off, Value: []byte(`{}`),
			Timestamp: time.Date(2024, 5, 1, ts.Hour(), ts.Minute(), 0, 0, time.UTC)}
	}
	marked := func(hh string) bool {
		_, err := os.Stat(filepath.Join(root, "ods_events/ds=20240501/hh="+hh, successName))
		return err == nil
	}
	deliver(t, s, []sdk.Record{at(0, "10:20"), at(1, "11:20")}) // 50 minutes ahead
	flush(t, s)
	if marked("10") || marked("11") {
		t.Fatal("hour 10 marked at 10:30")
	}
	clk.advance(29 * time.Minute) // 10:59
	deliver(t, s, []sdk.Record{at(2, "11:25")})
	flush(t, s)
	if marked("10") {
		t.Fatal("hour 10 marked at 10:59")
	}
	clk.advance(2 * time.Minute) // 11:01
	deliver(t, s, []sdk.Record{at(3, "11:26")})
	flush(t, s)
	if !marked("10") || marked("11") {
		t.Fatalf("at 11:01: hour 10 marked %v (want true), hour 11 %v (want false)", marked("10"), marked("11"))
	}
	if body := readMarker(t, filepath.Join(root, "ods_events/ds=20240501/hh=10", successName)); !body.Watermark.Equal(clk.now()) {
		t.Fatalf("watermark %v, want the clock %v", body.Watermark, clk.now())
	}
}

// TestNewPartitionHoldsWatermark: a partition the task did not have
// before, reading older data, holds the watermark back at its own event
// time, so the hours it fills are not marked while it fills them; so does
// a partition that has not delivered its first record yet, for the idle
// timeout after the sink opens.
func TestNewPartitionHoldsWatermark(t *testing.T) {
	t.Run("assigned later", func(t *testing.T) {
		m := newMarkerTest(t, t.TempDir())
		m.clk.advance(61 * time.Second)
		m.feed(0, "10:00", "12:30") // watermark 12:20
		m.want("hh=10")
		m.feed(1, "11:20") // a new partition, behind: watermark 11:10
		m.want("hh=10")
		m.feed(0, "12:40")
		m.feed(1, "11:40")
		m.want("hh=10")
		m.feed(1, "12:10") // watermark 12:00
		m.want("hh=10", "hh=11")
		if body := readMarker(t, filepath.Join(m.root, "ods_events/ds=20240501/hh=11", successName)); len(body.Files) != 2 {
			t.Fatalf("hour 11's marker lists %v", body.Files)
		}
	})
	t.Run("not seen yet at the start", func(t *testing.T) {
		m := newMarkerTest(t, t.TempDir())
		m.feed(0, "10:00", "11:30", "12:30") // watermark 12:20, but partition 1 may come yet
		m.want()
		m.clk.advance(30 * time.Second)
		m.feed(1, "11:20")
		m.want()
		m.clk.advance(31 * time.Second) // the idle timeout since Open has passed
		m.feed(0, "12:31")
		m.want("hh=10") // partition 1 holds the watermark at 11:10
		m.feed(1, "12:10")
		m.want("hh=10", "hh=11")
	})
}
