package aggregate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// job7 is the daily course-consultant count of the seed: confirmed orders
// (status 3) per day of confirm_date_time and consultant.
var job7 = map[string]string{
	"topic":              "staff_index",
	"fields":             "id:long,cc_id:long,confirm_date_time,status:long",
	"time.fields":        "attribution_time=confirm_date_time:yyyy-MM-dd",
	"time.format":        "yyyy-MM-dd HH:mm:ss",
	"time.zone":          "Asia/Shanghai",
	"where":              "confirm_date_time is not null and status is not null and status = 3",
	"group.by":           "attribution_time,cc_id",
	"aggregates":         "cc_index=count()",
	"constants":          "type=1",
	"emit.time.field":    "update_time",
	"output.time.format": "yyyy-MM-dd HH:mm:ss",
}

var clock = time.Date(2024, 1, 16, 9, 30, 0, 0, time.UTC) // 17:30 in Asia/Shanghai

func newJob7(t testing.TB, cfg map[string]string) *harness {
	t.Helper()
	c := maps.Clone(job7)
	maps.Copy(c, cfg)
	now := clock
	return newHarness(t, aggregateOpener(t, c, &now), 1)
}

// order is one row of the latest view of data_pack_order_info.
func order(id, cc, status int, confirm string) string {
	c := "null"
	if confirm != "" {
		c = fmt.Sprintf("%q", confirm)
	}
	return fmt.Sprintf(`{"id":%d,"cc_id":%d,"confirm_date_time":%s,"status":%d}`, id, cc, c, status)
}

// chg is a change record as latest emits it.
func chg(op, before, after string) sdk.Record {
	if before == "" {
		before = "null"
	}
	if after == "" {
		after = "null"
	}
	return sdk.Record{Topic: "in", Value: fmt.Appendf(nil, `{"op":%q,"before":%s,"after":%s}`, op, before, after)}
}

func cc(day string, id, n int) string {
	return fmt.Sprintf(`{"attribution_time":%q,"cc_id":%d,"type":1,"cc_index":%d,"update_time":"2024-01-16 17:30:00"}`, day, id, n)
}

// outputs renders results as "key value", and a deletion (a change event
// with op d, then a tombstone of its key) as "key <deleted before>"; a
// change event not followed by its tombstone, or a tombstone alone, shows
// as such and fails the comparison.
func outputs(recs []sdk.Record) []string {
	var s []string
	for i := 0; i < len(recs); i++ {
		r := recs[i]
		v := "<tombstone>"
		if r.Value != nil {
			v = string(r.Value)
		}
		const del, end = `{"op":"d","before":`, `,"after":null}`
		if strings.HasPrefix(v, del) && strings.HasSuffix(v, end) && i+1 < len(recs) &&
			recs[i+1].Value == nil && string(recs[i+1].Key) == string(r.Key) {
			v = "<deleted " + strings.TrimSuffix(strings.TrimPrefix(v, del), end) + ">"
			i++
		}
		s = append(s, string(r.Key)+" "+v)
	}
	return s
}

// deleted is the rendering of a (day, consultant) group's deletion: the
// before carries the result table's key, group values and constant.
func deleted(day string, id int) string {
	return fmt.Sprintf(`<deleted {"attribution_time":%q,"cc_id":%d,"type":1}>`, day, id)
}

// TestJob7CountGoesUpAndDown: orders move 1 → 3 → 4 → 3, change day and
// consultant, and are deleted; the count per (day, consultant) follows
// exactly, and a group left empty is deleted.
func TestJob7CountGoesUpAndDown(t *testing.T) {
	const d15, d16 = "2024-01-15 10:00:00", "2024-01-16 01:00:00"
	steps := []struct {
		name string
		in   []sdk.Record
		want []string
	}{
		{"created unconfirmed: filtered", []sdk.Record{chg("c", "", order(1, 7, 1, ""))}, nil},
		{"1 → 3", []sdk.Record{chg("u", order(1, 7, 1, ""), order(1, 7, 3, d15))},
			[]string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 1)}},
		{"a second order", []sdk.Record{chg("c", "", order(2, 7, 3, d15))},
			[]string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 2)}},
		{"3 → 4", []sdk.Record{chg("u", order(1, 7, 3, d15), order(1, 7, 4, d15))},
			[]string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 1)}},
		{"4 → 3", []sdk.Record{chg("u", order(1, 7, 4, d15), order(1, 7, 3, d15))},
			[]string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 2)}},
		{"confirm date moves a day (split by latest)", []sdk.Record{
			chg("d", order(2, 7, 3, d15), ""), chg("c", "", order(2, 7, 3, d16)),
		}, []string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 1), `["2024-01-16",7] ` + cc("2024-01-16", 7, 1)}},
		{"deleted: the group empties", []sdk.Record{chg("d", order(1, 7, 3, d15), "")},
			[]string{`["2024-01-15",7] ` + deleted("2024-01-15", 7)}},
		{"consultant changes in one update", []sdk.Record{chg("u", order(2, 7, 3, d16), order(2, 8, 3, d16))},
			[]string{`["2024-01-16",7] ` + deleted("2024-01-16", 7), `["2024-01-16",8] ` + cc("2024-01-16", 8, 1)}},
		{"3 → 1 → 3 in one batch: no change, nothing emitted", []sdk.Record{
			chg("u", order(2, 8, 3, d16), order(2, 8, 1, d16)), chg("u", order(2, 8, 1, d16), order(2, 8, 3, d16)),
		}, nil},
		{"a group born and emptied in one batch: nothing", []sdk.Record{
			chg("c", "", order(3, 9, 3, d15)), chg("d", order(3, 9, 3, d15), ""),
		}, nil},
	}
	h := newJob7(t, nil)
	for _, s := range steps {
		got := outputs(h.batch(s.in, true))
		if len(h.faults) > 0 {
			t.Fatalf("%s: fault %v", s.name, h.faults[0].Fault)
		}
		if !slices.Equal(got, s.want) {
			t.Fatalf("%s: outputs\n%s\nwant\n%s", s.name, strings.Join(got, "\n"), strings.Join(s.want, "\n"))
		}
		h.start() // and every step again after a restore from the changelog
	}
	if want := map[string]string{`["2024-01-16",8]`: cc("2024-01-16", 8, 1)}; !maps.Equal(h.table, want) {
		t.Fatalf("final table %v, want %v", h.table, want)
	}
	if len(h.op.(*Operator).state.Part(0).Rows) != 1 {
		t.Fatalf("groups held: %d, want 1 (empty groups are dropped)", len(h.op.(*Operator).state.Part(0).Rows))
	}
}

// TestEmitOncePerGroupPerBatch: a batch emits each group it changed once,
// with its result after all of the batch.
func TestEmitOncePerGroupPerBatch(t *testing.T) {
	h := newJob7(t, nil)
	const d = "2024-01-15 10:00:00"
	got := outputs(h.batch([]sdk.Record{
		chg("c", "", order(1, 7, 3, d)), chg("c", "", order(2, 7, 3, d)), chg("c", "", order(3, 5, 3, d)),
		chg("c", "", order(4, 7, 3, d)), chg("u", order(1, 7, 3, d), order(1, 7, 2, d)),
	}, true))
	want := []string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 2), `["2024-01-15",5] ` + cc("2024-01-15", 5, 1)}
	if !slices.Equal(got, want) {
		t.Fatalf("outputs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	want2 := map[string]int64{"added": 4, "retracted": 1, "filtered": 1, "emitted": 2, "emptied": 0, "unchanged": 0, "tombstones": 0}
	if c := h.counts(); !maps.Equal(c, want2) {
		t.Errorf("counts %v, want %v", c, want2)
	}
}

// TestWhereAppliesToEachRowAlone: a before that never met the condition is
// not retracted, an after that does not meet it is not added.
func TestWhereAppliesToEachRowAlone(t *testing.T) {
	h := newJob7(t, nil)
	const d = "2024-01-15 10:00:00"
	h.batch([]sdk.Record{chg("c", "", order(1, 7, 3, d))}, true)
	// status 2 → 5 touches no group (neither side is confirmed): no
	// retraction of a row never added, no fault.
	if got := h.batch([]sdk.Record{chg("u", order(9, 7, 2, d), order(9, 7, 5, d))}, true); len(got) != 0 || len(h.faults) != 0 {
		t.Fatalf("outputs %v, faults %v; want neither", outputs(got), h.faults)
	}
	// A null confirm date is not counted even at status 3.
	if got := h.batch([]sdk.Record{chg("c", "", order(2, 7, 3, ""))}, true); len(got) != 0 {
		t.Fatalf("a null confirm date was counted: %v", outputs(got))
	}
	if c := h.counts(); c["filtered"] != 3 {
		t.Errorf("filtered %d, want 3 rows", c["filtered"])
	}
}

func TestCountDistinctWithDuplicates(t *testing.T) {
	now := clock
	h := newHarness(t, aggregateOpener(t, map[string]string{
		"topic": "out", "fields": "id:long,student_id:long,level", "group.by": "level",
		"aggregates": "leads=count_distinct(student_id),n=count()",
	}, &now), 1)
	row := func(id, student int, level string) string {
		return fmt.Sprintf(`{"id":%d,"student_id":%d,"level":%q}`, id, student, level)
	}
	steps := []struct {
		in   sdk.Record
		want string
	}{
		{chg("c", "", row(1, 100, "A")), `{"level":"A","leads":1,"n":1}`},
		{chg("c", "", row(2, 100, "A")), `{"level":"A","leads":1,"n":2}`},
		{chg("c", "", row(3, 200, "A")), `{"level":"A","leads":2,"n":3}`},
		{chg("d", row(1, 100, "A"), ""), `{"level":"A","leads":2,"n":2}`},
		{chg("u", row(2, 100, "A"), row(2, 200, "A")), `{"level":"A","leads":1,"n":2}`},
		{chg("d", row(3, 200, "A"), ""), `{"level":"A","leads":1,"n":1}`},
		{chg("d", row(2, 200, "A"), ""), `<deleted {"level":"A"}>`},
	}
	for i, s := range steps {
		got := outputs(h.batch([]sdk.Record{s.in}, true))
		if want := []string{`["A"] ` + s.want}; !slices.Equal(got, want) {
			t.Fatalf("step %d: %v, want %v", i, got, want)
		}
		if i%2 == 1 {
			h.start()
		}
	}
}

// TestEveryAggregateRetracts: sum, avg, min, max go back when rows leave.
func TestEveryAggregateRetracts(t *testing.T) {
	now := clock
	h := newHarness(t, aggregateOpener(t, map[string]string{
		"topic": "out", "fields": "g,x", "group.by": "g",
		"aggregates": "total=sum(x),mean=avg(x),lo=min(x),hi=max(x),n=count(x)",
	}, &now), 1)
	r := func(x string) string { return `{"g":"a","x":` + x + `}` }
	steps := []struct {
		in   sdk.Record
		want string
	}{
		{chg("c", "", r("5")), `{"g":"a","total":5,"mean":5,"lo":5,"hi":5,"n":1}`},
		{chg("c", "", r("0.1")), `{"g":"a","total":5.1,"mean":2.55,"lo":0.1,"hi":5,"n":2}`},
		{chg("c", "", r("null")), `{"g":"a","total":5.1,"mean":2.55,"lo":0.1,"hi":5,"n":2}`},
		{chg("u", r("5"), r("-2")), `{"g":"a","total":-1.9,"mean":-0.95,"lo":-2,"hi":0.1,"n":2}`},
		{chg("d", r("0.1"), ""), `{"g":"a","total":-2,"mean":-2,"lo":-2,"hi":-2,"n":1}`},
		{chg("d", r("-2"), ""), `{"g":"a","total":null,"mean":null,"lo":null,"hi":null,"n":0}`},
	}
	for i, s := range steps {
		got := outputs(h.batch([]sdk.Record{s.in}, true))
		want := []string{`["a"] ` + s.want}
		if i == 2 {
			want = nil // a row of null x changes no result, only the row count
		}
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: %v, want %v", i, got, want)
		}
	}
}

// TestPlainRowsAreInserts: an append-only stream of plain JSON rows.
func TestPlainRowsAreInserts(t *testing.T) {
	h := newJob7(t, nil)
	got := outputs(h.batch([]sdk.Record{
		{Topic: "in", Value: []byte(order(1, 7, 3, "2024-01-15 10:00:00"))},
		{Topic: "in", Value: []byte(order(1, 7, 3, "2024-01-15 10:00:00"))},
		{Topic: "in", Key: []byte(`{"id":1}`)}, // a tombstone: no row, passed over
	}, true))
	if want := []string{`["2024-01-15",7] ` + cc("2024-01-15", 7, 2)}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	if c := h.counts(); c["tombstones"] != 1 {
		t.Errorf("tombstones %d, want 1", c["tombstones"])
	}
}

// TestRetractionTheGroupCannotTakeIsAFault: state lost or an upstream out
// of step: the record comes back naming the group, and nothing changes.
func TestRetractionTheGroupCannotTakeIsAFault(t *testing.T) {
	const d = "2024-01-15 10:00:00"
	h := newJob7(t, map[string]string{"aggregates": "cc_index=count(),total=sum(id)"})
	h.batch([]sdk.Record{chg("c", "", order(1, 7, 3, d))}, true)
	bad := []sdk.Record{
		// The before of another consultant, whose group does not exist,
		// moving to the existing group.
		chg("u", order(5, 9, 3, d), order(5, 7, 3, d)),
		// A before the group does not hold (sum of 5 from a sum of 1).
		chg("d", order(5, 7, 3, d), ""),
		// The before is retracted, then the after cannot be added (sum
		// of a string): the retraction is undone.
		chg("u", order(1, 7, 3, d), `{"id":"x1","cc_id":7,"confirm_date_time":"2024-01-15 11:00:00","status":3}`),
	}
	for i := range bad {
		bad[i].Offset = int64(10 + i)
	}
	before := slices.Clone(h.log[0])
	if got := h.batch(bad, true); len(got) != 0 {
		t.Fatalf("outputs %v, want none", outputs(got))
	}
	wants := []string{`group ["2024-01-15",9]: retraction of a row the group does not hold`, `group ["2024-01-15",7]: sum(id): retraction`, `after: id (id): "x1" is not a long`}
	if len(h.faults) != len(wants) {
		t.Fatalf("%d faults, want %d", len(h.faults), len(wants))
	}
	for i, f := range h.faults {
		if !strings.Contains(f.Fault.Error(), wants[i]) || f.Offset != int64(10+i) {
			t.Errorf("fault %d at offset %d: %q, want it to mention %q", i, f.Offset, f.Fault, wants[i])
		}
	}
	// The state is the one before the batch: logged again as it was, and
	// the next change counts from it.
	last := h.log[0][len(h.log[0])-1]
	if prev := before[len(before)-1]; string(last[0]) != string(prev[0]) || string(last[1]) != string(prev[1]) {
		t.Fatalf("the group's state after the faults %x, before them %x", last[1], prev[1])
	}
	h.start()
	got := outputs(h.batch([]sdk.Record{chg("c", "", order(2, 7, 3, d))}, true))
	if want := []string{`["2024-01-15",7] {"attribution_time":"2024-01-15","cc_id":7,"type":1,"cc_index":2,"total":3,"update_time":"2024-01-16 17:30:00"}`}; !slices.Equal(got, want) {
		t.Fatalf("after the faults: %v, want %v", got, want)
	}
}

// TestRetractionAfterStateLossIsAFault: a changelog that lost a group
// (here: none was committed) makes its retractions faults.
func TestRetractionAfterStateLossIsAFault(t *testing.T) {
	h := newJob7(t, nil)
	const d = "2024-01-15 10:00:00"
	h.batch([]sdk.Record{chg("c", "", order(1, 7, 3, d))}, false) // lost
	h.start()
	h.batch([]sdk.Record{chg("d", order(1, 7, 3, d), "")}, true)
	if len(h.faults) != 1 || !strings.Contains(h.faults[0].Fault.Error(), `group ["2024-01-15",7]`) {
		t.Fatalf("faults %v, want the delete back naming its group", h.faults)
	}
}

func TestBadRecordsComeBackWithTheReason(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{"not json", `{"op":`, "unexpected end"},
		{"not an object", `"x"`, "not an object"},
		{"unknown op", `{"op":"m","before":null,"after":{"id":1}}`, `unknown op "m"`},
		{"update without before", `{"op":"u","before":null,"after":{"id":1}}`, "op u without before"},
		{"delete without before", `{"op":"d","before":null,"after":{"id":1}}`, "op d without before"},
		{"create without after", `{"op":"c","before":{"id":1},"after":null}`, "op c without after"},
		{"before an array", `{"op":"u","before":[],"after":{"id":1}}`, "before is an array"},
		{"a field that does not convert", `{"id":1,"cc_id":"seven","status":3}`, `cc_id (cc_id): "seven" is not a long`},
		{"a time that does not parse", `{"op":"c","after":{"id":1,"cc_id":7,"status":3,"confirm_date_time":"15/01/2024"}}`, "after: time field attribution_time (from confirm_date_time)"},
		{"a before time that does not parse", `{"op":"d","before":{"id":1,"cc_id":7,"status":3,"confirm_date_time":"x"}}`, "before: time field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newJob7(t, nil)
			h.batch([]sdk.Record{{Topic: "in", Value: []byte(tc.value), Offset: 3}}, true)
			if len(h.faults) != 1 || len(h.out) != 0 {
				t.Fatalf("faults %d, outputs %d; want the record back with a fault", len(h.faults), len(h.out))
			}
			if f := h.faults[0]; !strings.Contains(f.Fault.Error(), tc.want) || f.Offset != 3 || string(f.Value) != tc.value {
				t.Errorf("fault %q on %q, want it to mention %q", f.Fault, f.Value, tc.want)
			}
			if n := len(h.op.(*Operator).state.Part(0).Rows); n != 0 || len(h.log[0]) != 0 {
				t.Errorf("a refused record left state: %d groups, %d changelog entries", n, len(h.log[0]))
			}
		})
	}
}

func TestConstants(t *testing.T) {
	cases := map[string]string{
		"type=1": `1`, "x=-2.50": `-2.50`, "x='1'": `"1"`, `x="a b"`: `"a b"`, "x=abc": `"abc"`,
		"x=1e3": `1e3`, "x=01": `"01"`, "x = true ": `"true"`, "x=99999999999999999999": `99999999999999999999`,
	}
	for item, want := range cases {
		f, err := parseConstant(item)
		if err != nil {
			t.Fatalf("%s: %v", item, err)
		}
		if got := string(f.Value.AppendJSON(nil)); got != want {
			t.Errorf("%s: %s, want %s", item, got, want)
		}
	}
	for _, bad := range []string{"=1", "x", " =a"} {
		if _, err := parseConstant(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestEmitTimeAndTimestamp(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_123)
	cfg := maps.Clone(job7)
	delete(cfg, "output.time.format") // epoch millis
	h := newHarness(t, aggregateOpener(t, cfg, &now), 1)
	in := chg("c", "", order(1, 7, 3, "2024-01-15 23:59:59"))
	in.Timestamp = time.UnixMilli(1_600_000_000_000)
	in2 := chg("c", "", order(2, 7, 3, "2024-01-15 00:00:00"))
	in2.Timestamp = time.UnixMilli(1_600_000_001_000)
	got := h.batch([]sdk.Record{in2, in}, true)
	if len(got) != 1 {
		t.Fatalf("outputs %v", outputs(got))
	}
	m := fields(t, string(got[0].Value))
	if m["update_time"] != 1_700_000_000_123.0 || m["attribution_time"] != "2024-01-15" {
		t.Errorf("output %s: want update_time 1700000000123 and the day in Asia/Shanghai", got[0].Value)
	}
	if !got[0].Timestamp.Equal(in2.Timestamp) {
		t.Errorf("timestamp %v, want the latest of its inputs %v", got[0].Timestamp, in2.Timestamp)
	}
}

// TestTimeFieldsFromEpochMillis: CDC datetimes are epoch millis of the wall
// time read as UTC.
func TestTimeFieldsFromEpochMillis(t *testing.T) {
	now := clock
	h := newHarness(t, aggregateOpener(t, map[string]string{
		"topic": "out", "fields": "id:long,cc_id:long,confirm_date_time:long,status:long",
		"time.fields": "day=confirm_date_time:yyyy-MM-dd,hour=confirm_date_time:yyyyMMddHH", "group.by": "day,hour",
		"aggregates": "n=count()",
	}, &now), 1)
	got := outputs(h.batch([]sdk.Record{chg("c", "", `{"id":1,"cc_id":7,"confirm_date_time":1705363199000,"status":3}`)}, true))
	if want := []string{`["2024-01-15","2024011523"] {"day":"2024-01-15","hour":"2024011523","n":1}`}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestRestoreRefusesForeignState(t *testing.T) {
	h := newJob7(t, nil)
	h.batch([]sdk.Record{chg("c", "", order(1, 7, 3, "2024-01-15 10:00:00"))}, true)
	kv := h.log[0][0]
	op := h.op.(*Operator)
	if err := op.Restore(0, kv[0], kv[1][:2]); err == nil {
		t.Error("a truncated state restores")
	}
	if err := op.Restore(0, append(slices.Clone(kv[0]), 0), kv[1]); err == nil {
		t.Error("a key of another group.by restores")
	}
	if err := op.Restore(0, []byte("x"), kv[1]); err == nil {
		t.Error("a key of another kind restores")
	}
	other := newJob7(t, map[string]string{"aggregates": "cc_index=count(),m=max(id)"}).op
	if err := other.Restore(0, kv[0], kv[1]); err == nil {
		t.Error("the state of another set of aggregates restores")
	}
}

func TestConfigErrorsNameTheirKey(t *testing.T) {
	cases := map[string][2]string{
		"fields":             {"fields", "id:long,id"},
		"time.fields":        {"time.fields", "day=nobody:yyyy-MM-dd"},
		"group.by":           {"group.by", "attribution_time,nobody"},
		"aggregates":         {"aggregates", "s=sum(missing)"},
		"where":              {"where", "other = 1"},
		"constants":          {"constants", "cc_id=1"},
		"emit.time.field":    {"emit.time.field", "cc_index"},
		"time.zone":          {"time.zone", "Mars/Olympus"},
		"time.format":        {"time.format", "yyyy-Qx"},
		"output.time.format": {"output.time.format", "yyyy-Qx"},
	}
	for want, kv := range cases {
		cfg := maps.Clone(job7)
		cfg[kv[0]] = kv[1]
		if got := Plugin.ValidateConfig(cfg); len(got[want]) == 0 {
			t.Errorf("%s=%s: problems %v, want one under %s", kv[0], kv[1], got, want)
		}
	}
	for _, bad := range []string{"day", "day=confirm_date_time", "day=confirm_date_time:yyyy-Q", "status=confirm_date_time:yyyy"} {
		cfg := maps.Clone(job7)
		cfg["time.fields"] = bad
		if got := Plugin.ValidateConfig(cfg); len(got["time.fields"]) == 0 {
			t.Errorf("time.fields=%s: problems %v, want one under time.fields", bad, got)
		}
	}
	if got := Plugin.ValidateConfig(map[string]string{"fields": "id"}); got != nil {
		t.Errorf("a config the spec refuses: %v, want nil (the runtime reports it)", got)
	}
	if got := Plugin.ValidateConfig(job7); got != nil {
		t.Errorf("the job-7 config has problems %v", got)
	}
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
}
