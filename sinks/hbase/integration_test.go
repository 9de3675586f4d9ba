//go:build integration

package hbase

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tsuna/gohbase"
	"github.com/tsuna/gohbase/hrpc"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// TestIntegration writes to a real HBase cluster and reads the rows back
// with gohbase. It runs only when HBASE_ZK names the ZooKeeper quorum
// (HBASE_ZK_ROOT the znode, /hbase by default); it creates and drops its own
// table.
func TestIntegration(t *testing.T) {
	zk := os.Getenv("HBASE_ZK")
	if zk == "" {
		t.Skip("HBASE_ZK is not set")
	}
	root := os.Getenv("HBASE_ZK_ROOT")
	if root == "" {
		root = "/hbase"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	table := fmt.Sprintf("tributary_it_%d", time.Now().UnixNano())
	admin := gohbase.NewAdminClient(zk, gohbase.ZookeeperRoot(root))
	if err := admin.CreateTable(hrpc.NewCreateTable(ctx, []byte(table), map[string]map[string]string{"f": nil})); err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := admin.DisableTable(hrpc.NewDisableTable(ctx, []byte(table))); err != nil {
			t.Logf("disable table: %v", err)
		}
		if err := admin.DeleteTable(hrpc.NewDeleteTable(ctx, []byte(table))); err != nil {
			t.Logf("delete table: %v", err)
		}
	})

	s := &Sink{}
	if err := s.Open(ctx, sdk.Config{
		"hbase.zookeeper.quorum": zk,
		"hbase.zookeeper.root":   root,
		"table.name.format":      table,
		"column.family":          "f",
		"rowkey.expression":      "md5(id)",
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := []sdk.Record{
		{Topic: "dict", Offset: 0, Value: []byte(`{"op":"c","after":{"id":1,"level":"A","big":18446744073709551615,"gone":null}}`)},
		{Topic: "dict", Offset: 1, Value: []byte(`{"id":2,"level":"B"}`)},
		{Topic: "dict", Offset: 2, Value: []byte(`{"op":"d","before":{"id":2}}`)},
		// Deleted and written again in the same batch: the row must exist.
		{Topic: "dict", Offset: 3, Value: []byte(`{"op":"d","before":{"id":1}}`)},
		{Topic: "dict", Offset: 4, Value: []byte(`{"id":1,"level":"C"}`)},
	}
	for range 2 { // the second pass is a replay
		if n, err := s.Write(ctx, recs); n != len(recs) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}

	client := gohbase.NewClient(zk, gohbase.ZookeeperRoot(root))
	defer client.Close()
	get := func(id string) map[string]string {
		t.Helper()
		g, err := hrpc.NewGetStr(ctx, table, md5hex(id))
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Get(g)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range res.Cells {
			out[string(c.Family)+":"+string(c.Qualifier)] = string(c.Value)
		}
		return out
	}
	if got := get("1"); len(got) != 2 || got["f:id"] != "1" || got["f:level"] != "C" {
		t.Errorf("row 1 = %v, want exactly f:id=1 f:level=C", got)
	}
	if got := get("2"); len(got) != 0 {
		t.Errorf("row 2 = %v, want deleted", got)
	}
}
