//go:build integration

package mysql

import (
	"net"
	"os"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
)

// TestMySQLServer runs the snapshot, streaming and mid-transaction resume
// against a real MySQL 8 (not available on the CI machines, which have
// MariaDB only): the MySQL flavour's global-read-lock snapshot, MySQL GTIDs
// and SHOW BINARY LOG STATUS. Run with
//
//	TRIBUTARY_MYSQL_ADDR=127.0.0.1:3306 TRIBUTARY_MYSQL_USER=root TRIBUTARY_MYSQL_PASSWORD=… \
//	  go test -tags integration -run TestMySQLServer ./sources/mysql/
//
// on a server started with --gtid-mode=ON --enforce-gtid-consistency=ON
// --binlog-row-metadata=FULL. It creates and drops the database tributary_it.
func TestMySQLServer(t *testing.T) {
	addr := os.Getenv("TRIBUTARY_MYSQL_ADDR")
	if addr == "" {
		t.Skip("TRIBUTARY_MYSQL_ADDR is not set")
	}
	user, password := os.Getenv("TRIBUTARY_MYSQL_USER"), os.Getenv("TRIBUTARY_MYSQL_PASSWORD")
	conn, err := client.Connect(addr, user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := &server{conn: conn}
	srv.exec(t, "DROP DATABASE IF EXISTS tributary_it", "CREATE DATABASE tributary_it",
		"CREATE TABLE tributary_it.t (id INT PRIMARY KEY, v JSON, ts TIMESTAMP(3) NULL)",
		`INSERT INTO tributary_it.t VALUES (1, '{"b": 1.0, "a": [1, "x"]}', '2024-05-01 08:30:00.125')`)
	t.Cleanup(func() { conn.Execute("DROP DATABASE tributary_it") })
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"gtid", "file"} {
		cfg := map[string]string{
			"name": "it", "database.hostname": host, "database.port": port, "database.user": user,
			"database.password": password, "topic.prefix": "it", "database.include.list": "tributary_it",
			"binlog.position.mode": mode, "tombstones.on.delete": "false",
		}
		s := openSource(t, cfg)
		snap := readEvents(t, s, 1)[0]
		srv.exec(t, "BEGIN", "INSERT INTO tributary_it.t VALUES (2, NULL, NULL), (3, NULL, NULL)", "COMMIT",
			"DELETE FROM tributary_it.t WHERE id = 2")
		all := readEvents(t, s, 3)
		s.Close()
		if snap.Op != "r" || all[0].Op != "c" || all[2].Op != "d" {
			t.Fatalf("%s: events %s %s %s %s", mode, snap.Op, all[0].Op, all[1].Op, all[2].Op)
		}
		s = openSource(t, cfg, all[0].Rec.Position)
		rest := readEvents(t, s, 2)
		if rest[0].Key != `{"id":3}` || rest[1].Op != "d" {
			t.Fatalf("%s: resumed after id 2 with %s %s", mode, rest[0].Key, rest[1].Op)
		}
		s.Close()
		srv.exec(t, "DELETE FROM tributary_it.t WHERE id = 3")
	}
}
