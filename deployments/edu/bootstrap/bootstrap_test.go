package bootstrap

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/deployments/local/localtest"
	"github.com/tributarydata/tributary/plugins/sdk"
	backupsink "github.com/tributarydata/tributary/sinks/backup"
	"github.com/tributarydata/tributary/test/edu"
)

var pg localtest.Postgres

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

func rowkey(id string) string {
	sum := md5.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

// writeBackup writes values as ods.channel_name_dictionary records with the
// real backup sink, as the warehouse backup keeps the topic, and returns
// the table's directory.
func writeBackup(t *testing.T, values []string) string {
	t.Helper()
	root := t.TempDir()
	s := backupsink.Plugin.NewSink()
	ctx := context.Background()
	if err := s.Open(ctx, sdk.Config{"backup.root": root, "topics": "ods.channel_name_dictionary", "success.marker.enabled": "false"}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := make([]sdk.Record, len(values))
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i, v := range values {
		recs[i] = sdk.Record{Topic: "ods.channel_name_dictionary", Offset: int64(i), Timestamp: at}
		if v != "" {
			recs[i].Value = []byte(v)
		}
	}
	if n, err := s.Write(ctx, recs); err != nil || n != len(recs) {
		t.Fatalf("backup took %d of %d: %v", n, len(recs), err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "ods_channel_name_dictionary")
}

func channel(id, level string) string {
	return `{"type":"dictionary","id":"` + id + `","chinese_name":"渠道` + id + `","english_name":"Channel ` + id +
		`","level":"` + level + `","pid":"0","create_time":"2026-01-01 00:00:00","update_time":"2026-01-01 00:00:00","dept_id":"1"}`
}

// levels reads channel_name_dictionary as rowkey → level.
func levels(t *testing.T, dsn string) map[string]string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT rowkey, coalesce(level, '<null>') FROM channel_name_dictionary")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var k, l string
		if err := rows.Scan(&k, &l); err != nil {
			t.Fatal(err)
		}
		got[k] = l
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func exec(t *testing.T, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

// snapshot is the dictionary's history as the backup holds it: channel 1
// changed its level, channel 3 was deleted, one line is not a row.
var snapshot = []string{
	channel("1", "A"),
	channel("2", "B"),
	channel("3", "C"),
	`{"level":"A"}`,
	channel("1", "D"),
	`{"before":{"id":"3"},"after":null,"op":"d"}`,
	channel("4", "A"),
}

func options(dsn, from string) Options {
	return Options{
		Pipeline: filepath.Join(edu.PipelineDir(), "registration-level.json"),
		Into:     "registration-level-serving",
		From:     from,
		Env: func(name string) (string, bool) {
			if name == "SERVING_URL" {
				return dsn, true
			}
			return "", false
		},
	}
}

// TestSnapshotUnderTheStream loads the dictionary's backup through the
// registration-level pipeline into a table the stream has already written
// to: the snapshot's latest row of each key lands, keyed md5(id) as the
// stream keys it; a key the table holds keeps the stream's (newer) row; a
// key deleted in the snapshot is not loaded; the bad line is counted.
func TestSnapshotUnderTheStream(t *testing.T) {
	srv := pg.Server(t)
	_, dsn := pg.Schema(t, srv, "bootstrap", nil)
	dir := writeBackup(t, snapshot)
	exec(t, dsn, `CREATE TABLE channel_name_dictionary (rowkey text NOT NULL PRIMARY KEY, id text, chinese_name text,
		english_name text, level text, pid text, create_time text, update_time text, dept_id text);
		INSERT INTO channel_name_dictionary (rowkey, id, level) VALUES ('`+rowkey("4")+`', '4', 'B from the stream')`)

	var warnings []string
	opts := options(dsn, dir)
	opts.Warn = func(f string, a ...any) { warnings = append(warnings, f) }
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Chain, ",") != "registration-level,registration-level-serving" || res.Topic != "ods.channel_name_dictionary" {
		t.Errorf("chain %v from %s", res.Chain, res.Topic)
	}
	want := map[string]string{rowkey("1"): "D", rowkey("2"): "B", rowkey("4"): "B from the stream"}
	got := levels(t, dsn)
	if len(got) != len(want) {
		t.Errorf("table holds %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("level of %s = %q, want %q", k, got[k], v)
		}
	}
	if res.Read != 7 || res.Faulted != 1 || res.Superseded != 2 || res.Deletes != 1 || res.Written != 3 {
		t.Errorf("result %+v, want 7 read, 1 faulted, 2 superseded (1 and 3), 1 delete, 3 written", res)
	}
	if len(warnings) != 1 {
		t.Errorf("warnings %q, want the bad line's", warnings)
	}
}

// TestOverwrite loads with the sink's own mode: the snapshot's rows replace
// what the table holds and its deletes apply.
func TestOverwrite(t *testing.T) {
	srv := pg.Server(t)
	_, dsn := pg.Schema(t, srv, "bootstrap", nil)
	dir := writeBackup(t, snapshot)
	exec(t, dsn, `CREATE TABLE channel_name_dictionary (rowkey text NOT NULL PRIMARY KEY, id text, chinese_name text,
		english_name text, level text, pid text, create_time text, update_time text, dept_id text);
		INSERT INTO channel_name_dictionary (rowkey, id, level) VALUES ('`+rowkey("4")+`', '4', 'B'), ('`+rowkey("3")+`', '3', 'C')`)
	opts := options(dsn, filepath.Join(dir, "**", "*.parquet"))
	opts.Overwrite = true
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := levels(t, dsn)
	want := map[string]string{rowkey("1"): "D", rowkey("2"): "B", rowkey("4"): "A"}
	if len(got) != len(want) || got[rowkey("1")] != "D" || got[rowkey("2")] != "B" || got[rowkey("4")] != "A" {
		t.Errorf("table holds %v, want %v (channel 3 deleted)", got, want)
	}
	if res.Deletes != 1 || res.Written != 4 {
		t.Errorf("result %+v, want 1 delete among 4 written", res)
	}
}

// TestPlanRefusesWhatItCannotLoad: the sink must exist, be a sink, and read
// one topic; an empty snapshot is an error rather than a silent no-op.
func TestPlanRefusesWhatItCannotLoad(t *testing.T) {
	env := func(string) (string, bool) { return "postgres://x", true }
	file := filepath.Join(edu.PipelineDir(), "registration-level.json")
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Pipeline: file, Into: "nope", From: t.TempDir(), Env: env}, `no connector "nope"`},
		{Options{Pipeline: file, Into: "registration-level", From: t.TempDir(), Env: env}, "not a sink"},
		{Options{Pipeline: file, Into: "registration-level-serving", From: t.TempDir(), Env: env}, "no Parquet files"},
	} {
		_, err := Run(context.Background(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.opts.Into, err, tc.want)
		}
	}
}
