package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

const eduColumns = "id bigint not null, name varchar(8), amount decimal(12,2), big decimal(30,4), score double, " +
	"ok boolean, day date, ts timestamp, tstz timestamptz, tags json, small smallint, uid bigint unsigned, raw bytea, note text"

// eduConfig declares eduColumns and partitions by ts in Asia/Shanghai.
func eduConfig(root string, kv ...string) sdk.Config {
	return config(root, append([]string{
		"table.schema.columns", eduColumns,
		"partition.time.field", "ts",
		"partition.timezone", "Asia/Shanghai",
		"success.marker.enabled", "false",
	}, kv...)...)
}

// wallMillis is a wall-clock time as Debezium writes a DATETIME: epoch
// milliseconds of that clock reading taken as UTC.
func wallMillis(s string) int64 {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func envelope(op string, before, after map[string]any) string {
	b, err := json.Marshal(map[string]any{"op": op, "before": before, "after": after,
		"source": map[string]any{"db": "edu", "table": "t"}, "ts_ms": 1714600000000})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// handRow is one record written by TestRoundTrip, with the text DuckDB must
// give back for each column.
type handRow struct {
	partition int32
	value     string
	want      map[string]string // column → DuckDB text; absent columns must be NULL
	op, ds    string
	hh        string
}

var handRows = []handRow{
	{ // every type, a plain row, the last millisecond of a Shanghai day
		partition: 0,
		value: `{"id":1,"name":"ann","amount":"12.30","big":"12345678901234567890.1234","score":1.5,"ok":true,
			"day":"2024-05-01","ts":"2024-05-01 23:59:59.999","tstz":"2024-05-01T15:59:59.999Z","tags":{"a":[1,2]},
			"small":-7,"uid":"18446744073709551615","raw":"AAEC/w==","note":"héllo \"q\"","unknown":"dropped"}`,
		want: map[string]string{"id": "1", "name": "ann", "amount": "12.30", "big": "12345678901234567890.1234",
			"score": "1.5", "ok": "true", "day": "2024-05-01", "ts": "2024-05-01 23:59:59.999",
			"tstz": "1714579199999000", "tags": `{"a":[1,2]}`, "small": "-7", "uid": "18446744073709551615",
			"raw": "000102FF", "note": `héllo "q"`},
		op: "", ds: "20240501", hh: "23",
	},
	{ // a Debezium insert whose DATETIME is the first instant of the next day
		partition: 0,
		value: envelope("c", nil, map[string]any{"id": 2, "name": "bob", "amount": -0.05, "big": -1,
			"ts": wallMillis("2024-05-02 00:00:00"), "tstz": 1714579200000, "day": 19845, "ok": 0}),
		want: map[string]string{"id": "2", "name": "bob", "amount": "-0.05", "big": "-1.0000",
			"ts": "2024-05-02 00:00:00", "tstz": "1714579200000000", "day": "2024-05-02", "ok": "false"},
		op: "c", ds: "20240502", hh: "00",
	},
	{ // an update on the other partition: the after image is kept
		partition: 1,
		value: envelope("u", map[string]any{"id": 3, "name": "old", "ts": wallMillis("2024-05-01 22:10:00")},
			map[string]any{"id": 3, "name": "new", "ts": wallMillis("2024-05-01 22:15:00"), "score": "2.25"}),
		want: map[string]string{"id": "3", "name": "new", "ts": "2024-05-01 22:15:00", "score": "2.25"},
		op:   "u", ds: "20240501", hh: "22",
	},
	{ // a delete: the before image, with op d
		partition: 1,
		value:     envelope("d", map[string]any{"id": 4, "name": "gone", "ts": wallMillis("2024-05-01 22:20:00")}, nil),
		want:      map[string]string{"id": "4", "name": "gone", "ts": "2024-05-01 22:20:00"},
		op:        "d", ds: "20240501", hh: "22",
	},
	{ // a snapshot read, wrapped by the JsonConverter with schemas enabled
		partition: 0,
		value: `{"schema":{},"payload":` + envelope("r", nil, map[string]any{"id": 5, "small": "32767",
			"ts": "2024-05-02T01:00:00", "uid": 0}) + `}`,
		want: map[string]string{"id": "5", "small": "32767", "ts": "2024-05-02 01:00:00", "uid": "0"},
		op:   "r", ds: "20240502", hh: "01",
	},
	{ // nulls and absent fields
		partition: 0,
		value:     `{"id":6,"name":null,"ts":"2024-05-01 23:00:00"}`,
		want:      map[string]string{"id": "6", "ts": "2024-05-01 23:00:00"},
		op:        "", ds: "20240501", hh: "23",
	},
}

// genRows are the generated records of TestRoundTrip: per partition, one
// every two minutes from 21:30 to 02:28 Shanghai time, half plain rows and
// half Debezium inserts.
func genValue(p int32, i int) (value string, id int64, name, amount, ts string) {
	id = int64(p)*100000 + int64(i)
	name = fmt.Sprintf("n%d", i)
	amount = fmt.Sprintf("%d.%02d", i, i%100)
	wall := time.Date(2024, 5, 1, 21, 30, 0, 0, time.UTC).Add(time.Duration(i) * 2 * time.Minute)
	ts = wall.Format("2006-01-02 15:04:05")
	if i%2 == 0 {
		value = fmt.Sprintf(`{"id":%d,"name":%q,"amount":%s,"ts":%q}`, id, name, amount, ts)
	} else {
		value = envelope("c", nil, map[string]any{"id": id, "name": name, "amount": json.Number(amount), "ts": wall.UnixMilli()})
	}
	return value, id, name, amount, ts
}

const genPerPartition = 150

// TestRoundTrip writes hand-made and generated records over several hours
// and two partitions, then reads every row back with DuckDB and compares
// each column, the column types, the hive partitions and the file names.
func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	s := openSink(t, eduConfig(root, "flush.size", "40"), nil)
	defer s.Close()

	var batch []sdk.Record
	next := map[int32]int64{}
	add := func(p int32, value string) int64 {
		off := next[p]
		next[p]++
		batch = append(batch, sdk.Record{Topic: "ods.events", Partition: p, Offset: off, Key: []byte(`{"id":1}`),
			Value: []byte(value), Timestamp: time.UnixMilli(1714600000000 + off)})
		return off
	}
	handOffsets := make([]int64, len(handRows))
	for i, h := range handRows {
		handOffsets[i] = add(h.partition, h.value)
	}
	tombstone := add(0, "")
	batch[len(batch)-1].Value = nil
	genStart := map[int32]int64{0: next[0], 1: next[1]}
	for i := range genPerPartition {
		for p := range int32(2) {
			v, _, _, _, _ := genValue(p, i)
			add(p, v)
		}
	}
	for start := 0; start < len(batch); start += 17 {
		if bad := deliver(t, s, batch[start:min(start+17, len(batch))]); len(bad) > 0 {
			t.Fatalf("records %v reported bad", bad)
		}
	}
	flush(t, s)

	db := openDuck(t)
	wantTypes := [][]string{{"id", "BIGINT"}, {"name", "VARCHAR"}, {"amount", "DECIMAL(12,2)"}, {"big", "DECIMAL(30,4)"},
		{"score", "DOUBLE"}, {"ok", "BOOLEAN"}, {"day", "DATE"}, {"ts", "TIMESTAMP"}, {"tstz", "TIMESTAMP WITH TIME ZONE"},
		{"tags", "JSON"}, {"small", "SMALLINT"}, {"uid", "UBIGINT"}, {"raw", "BLOB"}, {"note", "VARCHAR"},
		{"_topic", "VARCHAR"}, {"_partition", "INTEGER"}, {"_offset", "BIGINT"}, {"_timestamp", "TIMESTAMP WITH TIME ZONE"},
		{"_op", "VARCHAR"}, {"ds", "VARCHAR"}, {"hh", "VARCHAR"}}
	gotTypes := query(t, db, "SELECT column_name, column_type FROM (DESCRIBE SELECT * EXCLUDE (filename) FROM "+scan(root, "ods_events")+")")
	if fmt.Sprint(gotTypes) != fmt.Sprint(wantTypes) {
		t.Fatalf("columns:\n got %v\nwant %v", gotTypes, wantTypes)
	}

	cols := []string{"id", "name", "amount", "big", "score", "ok", "day", "ts", "tstz", "tags", "small", "uid", "raw", "note"}
	sel := []string{"_partition", "_offset", "_topic", "_op", "epoch_ms(_timestamp)", "ds", "hh"}
	for _, c := range cols {
		switch c {
		case "tstz":
			sel = append(sel, "epoch_us(tstz)")
		case "raw":
			sel = append(sel, "hex(raw)")
		default:
			sel = append(sel, "CAST("+c+" AS VARCHAR)")
		}
	}
	got := query(t, db, "SELECT "+strings.Join(sel, ", ")+" FROM "+scan(root, "ods_events")+" ORDER BY _partition, _offset")
	byKey := map[string][]string{}
	for _, r := range got {
		k := r[0] + "/" + r[1]
		if byKey[k] != nil {
			t.Fatalf("offset %s read twice", k)
		}
		byKey[k] = r
	}
	if want := len(handRows) + 2*genPerPartition; len(got) != want {
		t.Fatalf("read %d rows, want %d (the tombstone writes none)", len(got), want)
	}
	if byKey[fmt.Sprintf("0/%d", tombstone)] != nil {
		t.Fatal("the tombstone was written as a row")
	}
	check := func(k string, meta []string, want map[string]string) {
		t.Helper()
		r := byKey[k]
		if r == nil {
			t.Fatalf("row %s missing", k)
		}
		if fmt.Sprint(r[2:7]) != fmt.Sprint(meta) {
			t.Errorf("row %s: _topic, _op, _timestamp, ds, hh = %v, want %v", k, r[2:7], meta)
		}
		for i, c := range cols {
			w, ok := want[c]
			if !ok {
				w = "NULL"
			}
			if r[7+i] != w {
				t.Errorf("row %s column %s = %q, want %q", k, c, r[7+i], w)
			}
		}
	}
	for i, h := range handRows {
		off := handOffsets[i]
		check(fmt.Sprintf("%d/%d", h.partition, off), []string{"ods.events", h.op, fmt.Sprint(1714600000000 + off), h.ds, h.hh}, h.want)
	}
	hours := map[string]bool{}
	for i := range genPerPartition {
		for p := range int32(2) {
			_, id, name, amount, ts := genValue(p, i)
			off := genStart[p] + int64(i)
			wall, _ := time.Parse("2006-01-02 15:04:05", ts)
			op := ""
			if i%2 == 1 {
				op = "c"
			}
			ds, hh := wall.Format("20060102"), wall.Format("15")
			hours[ds+"/"+hh] = true
			check(fmt.Sprintf("%d/%d", p, off), []string{"ods.events", op, fmt.Sprint(1714600000000 + off),
				ds, hh},
				map[string]string{"id": fmt.Sprint(id), "name": name, "amount": amount, "ts": ts})
		}
	}
	if len(hours) != 6 {
		t.Fatalf("generated rows span %d hours, want 6", len(hours))
	}
	checkFileNames(t, db, root, "ods_events")
	// The plain form reads the same rows, ds and hh typed by DuckDB's guess.
	plain := fmt.Sprintf("read_parquet('%s/ods_events/*/*/*.parquet', hive_partitioning=true)", filepath.ToSlash(root))
	if got := query(t, db, "SELECT count(*), count(DISTINCT (ds, hh)) FROM "+plain); fmt.Sprint(got) != fmt.Sprint([][]string{{fmt.Sprint(len(handRows) + 2*genPerPartition), "6"}}) {
		t.Fatalf("plain read_parquet: rows, hours = %v", got)
	}
	// flush.size=40 cut the files inside Write.
	if got := query(t, db, "SELECT count(*) FROM (SELECT filename FROM "+scan(root, "ods_events")+" GROUP BY filename HAVING count(*) > 40)"); got[0][0] != "0" {
		t.Fatalf("%s files have more rows than flush.size", got[0][0])
	}
	if tmp := temps(t, root); len(tmp) > 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

// TestGenericLayout keeps whole records when no columns are declared, and
// partitions by the Kafka timestamp in Asia/Shanghai: 15:59:59.999Z is the
// last instant of May 1 there, 16:00Z the first of May 2.
func TestGenericLayout(t *testing.T) {
	root := t.TempDir()
	s := openSink(t, config(root, "partition.timezone", "Asia/Shanghai", "table.name.format", "bak_${topic}_v1"), nil)
	defer s.Close()
	dbz := envelope("c", nil, map[string]any{"id": 9})
	recs := []sdk.Record{
		{Topic: "ods.events", Partition: 0, Offset: 10, Key: []byte("k1"), Value: []byte(`{"a": 1, "s":"x"}`), Timestamp: time.UnixMilli(1714579199999)},
		{Topic: "ods.events", Partition: 0, Offset: 11, Key: nil, Value: []byte(dbz), Timestamp: time.UnixMilli(1714579200000)},
		{Topic: "ods.events", Partition: 0, Offset: 12, Key: []byte("k1"), Value: nil, Timestamp: time.UnixMilli(1714579200001)},
		{Topic: "ods.events", Partition: 0, Offset: 13, Key: []byte("k2"), Value: []byte(`not json`), Timestamp: time.UnixMilli(1714579200002)},
		{Topic: "ods.events", Partition: 0, Offset: 14, Key: []byte{0xff, 0xfe}, Value: []byte(`{}`), Timestamp: time.UnixMilli(1714579200003)},
	}
	bad := deliver(t, s, recs)
	if !slices.Equal(bad, []int{3, 4}) {
		t.Fatalf("bad records %v, want [3 4] (not JSON; key not UTF-8)", bad)
	}
	flush(t, s)
	db := openDuck(t)
	got := query(t, db, "SELECT _offset, key, CAST(value AS VARCHAR), typeof(value), _op, ds, hh FROM "+scan(root, "bak_ods_events_v1")+" ORDER BY _offset")
	want := [][]string{
		{"10", "k1", `{"a": 1, "s":"x"}`, "JSON", "", "20240501", "23"},
		{"11", "NULL", dbz, "JSON", "c", "20240502", "00"},
		{"12", "k1", "NULL", "JSON", "d", "20240502", "00"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows:\n got %v\nwant %v", got, want)
	}
	if got := query(t, db, "SELECT value->>'s' FROM "+scan(root, "bak_ods_events_v1")+" WHERE _offset = 10"); got[0][0] != "x" {
		t.Fatalf("value->>'s' = %v", got)
	}
}

// TestBadRecords: each bad record is reported by its index, as a
// RecordError, and every other record of the batch is written.
func TestBadRecords(t *testing.T) {
	root := t.TempDir()
	s := openSink(t, eduConfig(root), nil)
	defer s.Close()
	values := []string{
		`{"id":1,"ts":"2024-05-01 10:00:00"}`,
		`{"id":"abc","ts":"2024-05-01 10:00:00"}`,                // wrong type
		`{"id":2,"ts":"2024-05-01 10:00:00","name":"123456789"}`, // longer than varchar(8)
		`{"id":3,"ts":"2024-05-01 10:00:00","name":"12345678"}`,
		`{"id":4,"ts":"2024-05-01 10:00:00"`,                         // not JSON
		`{"name":"x","ts":"2024-05-01 10:00:00"}`,                    // NOT NULL id missing
		`{"id":5,"ts":"2024-05-01 10:00:00","amount":"1.234"}`,       // more digits than decimal(12,2) keeps
		`{"id":6,"ts":"2024-05-01 10:00:00","amount":"12345678901"}`, // too many integer digits
		`{"id":7}`, // no partition time
		`{"id":8,"ts":"yesterday"}`,
		`{"op":"x","after":{"id":9}}`, // unknown op
		`[1,2]`,                       // not an object
		`{"id":10,"ts":"2024-05-01 10:00:00","small":70000}`, // out of smallint's range
		`{"id":11,"ts":"2024-05-01 10:00:00","amount":"9999999999.99"}`,
	}
	var recs []sdk.Record
	for i, v := range values {
		recs = append(recs, sdk.Record{Topic: "ods.events", Offset: int64(i), Value: []byte(v), Timestamp: time.Now()})
	}
	bad := deliver(t, s, recs)
	if want := []int{1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12}; !slices.Equal(bad, want) {
		t.Fatalf("bad records %v, want %v", bad, want)
	}
	// The error names the field.
	probe := recs[2]
	probe.Partition = 5 // the same partition again would be a rewind
	_, err := s.Write(ctx, []sdk.Record{probe})
	var re *sdk.RecordError
	if !errors.As(err, &re) || re.Index != 0 || !strings.Contains(err.Error(), "name") {
		t.Fatalf("Write of an overlong name: %v", err)
	}
	flush(t, s)
	got := query(t, openDuck(t), "SELECT _offset, id, CAST(amount AS VARCHAR) FROM "+scan(root, "ods_events")+" ORDER BY _offset")
	if want := [][]string{{"0", "1", "NULL"}, {"3", "3", "NULL"}, {"13", "11", "9999999999.99"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

// TestConfigErrors: what the tags cannot check is reported by Open, per key.
func TestConfigErrors(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		kv  []string
		key string
	}{
		{[]string{"partition.timezone", "Mars/Olympus"}, "partition.timezone"},
		{[]string{"table.name.format", "${table}"}, "table.name.format"},
		{[]string{"table.name.format", "${topic"}, "table.name.format"},
		{[]string{"table.schema.columns", "id bigint, ds varchar"}, "table.schema.columns"},
		{[]string{"table.schema.columns", "id bigint, _offset bigint"}, "table.schema.columns"},
		{[]string{"table.schema.columns", "id geometry"}, "table.schema.columns"},
		{[]string{"table.schema.columns", "d decimal(40,2)"}, "table.schema.columns"},
		{[]string{"s3.endpoint", "127.0.0.1:1"}, "backup.root"},
		{[]string{"backup.root", "s3://b/p"}, "s3.endpoint"},
		{[]string{"timestamp.epoch.unit", "min"}, "timestamp.epoch.unit"},
	} {
		s := &Sink{}
		err := s.Open(ctx, config(root, tc.kv...))
		var ve *sdk.ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.key] == nil {
			t.Errorf("Open with %v: %v, want a validation error on %s", tc.kv, err, tc.key)
		}
	}
}

// TestPartitionTimeForms: the forms an event time takes and the hour each
// lands in, Asia/Shanghai.
func TestPartitionTimeForms(t *testing.T) {
	for _, tc := range []struct {
		name, cfgCols, unit, value, dir string
	}{
		{"epoch ms of an undeclared field is an instant", "", "ms", `{"t":1714579200000}`, "ds=20240502/hh=00"},
		{"epoch s", "", "s", `{"t":1714579199}`, "ds=20240501/hh=23"},
		{"epoch us as text", "", "us", `{"t":"1714579200000000"}`, "ds=20240502/hh=00"},
		{"RFC 3339 with zone", "", "ms", `{"t":"2024-05-01T15:59:59Z"}`, "ds=20240501/hh=23"},
		{"text without zone is Shanghai wall clock", "", "ms", `{"t":"2024-05-01 15:59:59"}`, "ds=20240501/hh=15"},
		{"declared timestamp is wall clock", "t timestamp", "ms", `{"t":1714579200000}`, "ds=20240501/hh=16"},
		{"declared timestamp in us", "t timestamp", "us", `{"t":1714579200000000}`, "ds=20240501/hh=16"},
		{"declared timestamptz is an instant", "t timestamptz", "ms", `{"t":1714579200000}`, "ds=20240502/hh=00"},
		{"declared date", "t date", "ms", `{"t":"2024-05-03"}`, "ds=20240503/hh=00"},
		{"declared bigint is an epoch instant", "t bigint", "ms", `{"t":1714579200000}`, "ds=20240502/hh=00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			kv := []string{"partition.time.field", "t", "partition.timezone", "Asia/Shanghai", "timestamp.epoch.unit", tc.unit, "success.marker.enabled", "false"}
			if tc.cfgCols != "" {
				kv = append(kv, "table.schema.columns", tc.cfgCols)
			}
			s := openSink(t, config(root, kv...), nil)
			defer s.Close()
			if bad := deliver(t, s, []sdk.Record{{Topic: "t", Value: []byte(tc.value), Timestamp: time.Now()}}); bad != nil {
				t.Fatalf("record reported bad")
			}
			flush(t, s)
			fs := files(t, root)
			if len(fs) != 1 || !strings.HasPrefix(fs[0], "t/"+tc.dir+"/part-t-0-0-0.parquet") {
				t.Fatalf("files %v, want t/%s/part-t-0-0-0.parquet", fs, tc.dir)
			}
		})
	}
}

// TestTablesShareADirectory: two topics mapped to one table write files
// whose names keep them apart, and replay skipping stays per topic.
func TestTablesShareADirectory(t *testing.T) {
	root := t.TempDir()
	cfg := config(root, "table.name.format", "all", "success.marker.enabled", "false")
	s := openSink(t, cfg, nil)
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var recs []sdk.Record
	for i := range 10 {
		recs = append(recs, sdk.Record{Topic: "a.x", Offset: int64(i), Value: []byte(`{"n":1}`), Timestamp: ts},
			sdk.Record{Topic: "b-y", Offset: int64(i), Value: []byte(`{"n":2}`), Timestamp: ts})
	}
	deliver(t, s, recs[:10])
	flush(t, s)
	// A replay of both topics from 0.
	s = openSink(t, cfg, nil)
	deliver(t, s, recs)
	flush(t, s)
	got := query(t, openDuck(t), "SELECT _topic, count(*), count(DISTINCT _offset) FROM "+scan(root, "all")+" GROUP BY _topic ORDER BY _topic")
	if want := [][]string{{"a.x", "10", "10"}, {"b-y", "10", "10"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows per topic %v, want %v", got, want)
	}
	var names []string
	for _, f := range files(t, root) {
		names = append(names, filepath.Base(f))
	}
	want := []string{"part-a.x-0-0-4.parquet", "part-a.x-0-5-9.parquet", "part-b-y-0-0-4.parquet", "part-b-y-0-5-9.parquet"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
}

func TestNotOpen(t *testing.T) {
	s := &Sink{}
	if _, err := s.Write(ctx, []sdk.Record{{}}); err == nil {
		t.Fatal("Write before Open succeeded")
	}
	if err := s.Flush(ctx); err == nil {
		t.Fatal("Flush before Open succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPluginSpec: the descriptor is complete and its config struct gives a
// spec whose only required key is backup.root, with the secret hidden.
func TestPluginSpec(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	keys, err := sdk.Spec(Plugin.Config)
	if err != nil {
		t.Fatal(err)
	}
	var required []string
	for _, k := range keys {
		if k.Required {
			required = append(required, k.Name)
		}
	}
	if !slices.Equal(required, []string{"backup.root"}) {
		t.Fatalf("required keys %v", required)
	}
	if bad := sdk.Validate(Plugin.Config, sdk.Config{"backup.root": "/x"}); len(bad) != 0 {
		t.Fatalf("minimal config: %v", bad)
	}
	if m := sdk.Masked(Plugin.Config, sdk.Config{"s3.secret.key": "s"}); m["s3.secret.key"] != "[hidden]" {
		t.Fatalf("secret shown: %v", m)
	}
}
