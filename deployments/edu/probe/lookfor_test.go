package probe

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/tributarydata/tributary/deployments/local/localtest"
)

var postgres localtest.Postgres

func TestMain(m *testing.M) {
	code := m.Run()
	postgres.Stop()
	os.Exit(code)
}

// TestLookForOutlivesTheRunContext: the look for the probes in flight
// still works once the run's context has ended (pgx closes a connection
// whose query's context ends: every poll of the drain then failed), and
// after the connection closed.
func TestLookForOutlivesTheRunContext(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	srv := postgres.Server(t)
	_, url := postgres.Schema(t, srv, "probe", nil)
	ctx := context.Background()
	l, err := newLatency(ctx, &Options{Serving: url})
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if _, err := l.conn.Exec(ctx, "CREATE TABLE "+DictionaryTable+" (id text); INSERT INTO "+DictionaryTable+" VALUES ('p1')"); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	for round := range 2 {
		found, err := l.lookFor(ended, []string{"p1", "p2"})
		if err != nil || !slices.Equal(found, []string{"p1"}) {
			t.Fatalf("round %d: found %q, %v", round, found, err)
		}
	}
	l.conn.Close(ctx)
	if found, err := l.lookFor(ctx, []string{"p1"}); err != nil || len(found) != 1 {
		t.Errorf("after the connection closed: found %q, %v", found, err)
	}
}
