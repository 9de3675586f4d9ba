package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// server is a MariaDB started for one test, and a connection to run SQL.
type server struct {
	*local.MariaDB
	conn *client.Conn
}

func startServer(t *testing.T) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	conn, err := client.Connect(m.Addr(), m.User, m.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &server{MariaDB: m, conn: conn}
}

func (s *server) exec(t *testing.T, statements ...string) {
	t.Helper()
	for _, q := range statements {
		if _, err := s.conn.Execute(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func (s *server) config(extra ...string) sdk.Config {
	cfg := sdk.Config{
		"name": "test", "database.hostname": "127.0.0.1", "database.port": fmt.Sprint(s.Port),
		"database.user": s.User, "database.password": s.Password, "topic.prefix": "srv",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	return cfg
}

func openSource(t *testing.T, cfg sdk.Config, last ...sdk.Position) *Source {
	t.Helper()
	s := &Source{}
	if err := s.Open(context.Background(), cfg, last); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// event is a decoded change event.
type event struct {
	Topic  string
	Key    string
	Op     string
	Before map[string]any
	After  map[string]any
	Source map[string]any
	Rec    sdk.Record
}

// readEvents reads until n change events (tombstones and heartbeats
// counted, history records not) arrived.
func readEvents(t *testing.T, s *Source, n int) []event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []event
	for len(out) < n {
		recs, err := s.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d of %d events: %v", len(out), n, err)
		}
		if ctx.Err() != nil {
			var got []string
			for _, e := range out {
				got = append(got, e.Topic+" "+e.Op+" "+e.Key)
			}
			t.Fatalf("only %d of %d events arrived: %q", len(out), n, got)
		}
		for _, r := range recs {
			if strings.HasSuffix(r.Topic, ".schema-history") {
				continue
			}
			e := event{Topic: r.Topic, Key: string(r.Key), Rec: r}
			if r.Value != nil && !strings.HasPrefix(r.Topic, "__debezium-heartbeat") {
				var env struct {
					Op     string         `json:"op"`
					Before map[string]any `json:"before"`
					After  map[string]any `json:"after"`
					Source map[string]any `json:"source"`
				}
				if err := json.Unmarshal(r.Value, &env); err != nil {
					t.Fatalf("event value %s: %v", r.Value, err)
				}
				e.Op, e.Before, e.After, e.Source = env.Op, env.Before, env.After, env.Source
			}
			out = append(out, e)
		}
	}
	return out
}

// expectQuiet fails when an event arrives within d.
func expectQuiet(t *testing.T, s *Source, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for ctx.Err() == nil {
		recs, err := s.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if !strings.HasSuffix(r.Topic, ".schema-history") {
				t.Fatalf("unexpected event on %s: key %s value %s", r.Topic, r.Key, r.Value)
			}
		}
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func (s *server) query(t *testing.T, q string) [][]string {
	t.Helper()
	rs, err := s.conn.Execute(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out [][]string
	for i := range rs.RowNumber() {
		var row []string
		for j := range rs.Fields {
			v, _ := rs.GetString(i, j)
			row = append(row, v)
		}
		out = append(out, row)
	}
	return out
}
