package rds

import (
	"strings"
	"testing"
)

func TestInsertSQL(t *testing.T) {
	names := []string{"id", "a", "b`q"}
	maria, mysql8 := dialect{}, dialect{rowAlias: true}
	tests := []struct {
		name  string
		d     dialect
		cols  []int
		how   upsert
		guard bool
		want  string
	}{
		{"append", maria, []int{0, 1, 2}, upsertNone, false,
			"INSERT INTO `t` (`id`,`a`,`b``q`) VALUES (?,?,?),(?,?,?)"},
		{"update given columns", maria, []int{0, 2}, upsertUpdate, false,
			"INSERT INTO `t` (`id`,`b``q`) VALUES (?,?),(?,?) ON DUPLICATE KEY UPDATE `b``q`=VALUES(`b``q`)"},
		{"update with key only is a no-op", maria, []int{0}, upsertUpdate, false,
			"INSERT INTO `t` (`id`) VALUES (?),(?) ON DUPLICATE KEY UPDATE `id`=`id`"},
		{"replace defaults absent columns", maria, []int{0, 2}, upsertReplace, false,
			"INSERT INTO `t` (`id`,`b``q`) VALUES (?,?),(?,?) ON DUPLICATE KEY UPDATE `a`=DEFAULT(`a`),`b``q`=VALUES(`b``q`)"},
		{"ignore", maria, []int{0, 1}, upsertIgnore, false,
			"INSERT INTO `t` (`id`,`a`) VALUES (?,?),(?,?) ON DUPLICATE KEY UPDATE `id`=`id`"},
		{"guarded", maria, []int{0, 1}, upsertUpdate, true,
			"INSERT INTO `t` (`id`,`a`) VALUES (?,?),(?,?) ON DUPLICATE KEY UPDATE `id`=IF(`id`<=>VALUES(`id`),`id`,NULL),`a`=VALUES(`a`)"},
		{"guarded ignore", maria, []int{0, 1}, upsertIgnore, true,
			"INSERT INTO `t` (`id`,`a`) VALUES (?,?),(?,?) ON DUPLICATE KEY UPDATE `id`=IF(`id`<=>VALUES(`id`),`id`,NULL)"},
		{"mysql 8 row alias", mysql8, []int{0, 1}, upsertUpdate, false,
			"INSERT INTO `t` (`id`,`a`) VALUES (?,?),(?,?) AS `tributary_new` ON DUPLICATE KEY UPDATE `a`=`tributary_new`.`a`"},
		{"mysql 8 replace", mysql8, []int{0, 1}, upsertReplace, false,
			"INSERT INTO `t` (`id`,`a`) VALUES (?,?),(?,?) AS `tributary_new` ON DUPLICATE KEY UPDATE `a`=`tributary_new`.`a`,`b``q`=DEFAULT(`b``q`)"},
	}
	for _, tt := range tests {
		if got := insertSQL(tt.d, "`t`", names, tt.cols, []int{0}, 2, tt.how, tt.guard); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestDeleteAndUpdateSQL(t *testing.T) {
	names := []string{"a", "b", "c"}
	for _, tt := range []struct{ got, want string }{
		{deleteSQL("`t`", names, []int{0}, 3), "DELETE FROM `t` WHERE `a` IN (?,?,?)"},
		{deleteSQL("`t`", names, []int{0, 1}, 2), "DELETE FROM `t` WHERE (`a`,`b`) IN ((?,?),(?,?))"},
		{updateSQL("`t`", names, []int{2}, []int{0, 1}), "UPDATE `t` SET `c`=? WHERE `a`=? AND `b`=?"},
		{updateSQL("`t`", names, nil, []int{0}), "UPDATE `t` SET `a`=`a` WHERE `a`=?"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %s\nwant %s", tt.got, tt.want)
		}
	}
}

func TestDialectOf(t *testing.T) {
	for version, alias := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1":       false,
		"5.5.5-10.6.12-MariaDB-log":        false,
		"5.7.44-log":                       false,
		"8.0.18":                           false,
		"8.0.19":                           true,
		"8.0.36-0ubuntu0.22.04.1":          true,
		"8.4.0":                            true,
		"9.1.0":                            true,
		"5.7.25-TiDB-v7.5.0 (wire compat)": false,
	} {
		if got := dialectOf(version).rowAlias; got != alias {
			t.Errorf("%s: row alias %v, want %v", version, got, alias)
		}
	}
}

func TestParseTableName(t *testing.T) {
	tests := []struct {
		in, db   string
		want     tableName
		wantFail bool
	}{
		{in: "orders", db: "results", want: tableName{"results", "orders"}},
		{in: "other.orders", db: "results", want: tableName{"other", "orders"}},
		{in: "`ods.orders`", db: "results", want: tableName{"results", "ods.orders"}},
		{in: "dw.`ods.orders`", db: "results", want: tableName{"dw", "ods.orders"}},
		{in: "`we``ird`", db: "d", want: tableName{"d", "we`ird"}},
		{in: "orders", db: "", wantFail: true},
		{in: "a.b.c", db: "d", wantFail: true},
		{in: "`open", db: "d", wantFail: true},
		{in: "a..b", db: "d", wantFail: true},
		{in: "", db: "d", wantFail: true},
	}
	for _, tt := range tests {
		got, err := parseTableName(tt.in, tt.db)
		if tt.wantFail {
			if err == nil {
				t.Errorf("%q: accepted as %v", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %v %v, want %v", tt.in, got, err, tt.want)
		}
	}
	if got := (tableName{"d", "we`ird"}).String(); got != "`d`.`we``ird`" {
		t.Errorf("quoted %s", got)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want endpoint
	}{
		{"user:pass@tcp(db.example:3307)/results", endpoint{Network: "tcp", Addr: "db.example:3307", User: "user", Password: "pass", DB: "results"}},
		{"u:p@ss:w@rd@tcp(h)/d?charset=utf8mb4&parseTime=true", endpoint{Network: "tcp", Addr: "h:3306", User: "u", Password: "p@ss:w@rd", DB: "d"}},
		{"u@unix(/var/run/mysqld/mysqld.sock)/d", endpoint{Network: "unix", Addr: "/var/run/mysqld/mysqld.sock", User: "u", DB: "d"}},
		{"/d", endpoint{Network: "tcp", Addr: "127.0.0.1:3306", DB: "d"}},
		{"u:p@tcp([::1]:3306)/d?tls=skip-verify", endpoint{Network: "tcp", Addr: "[::1]:3306", User: "u", Password: "p", DB: "d", TLS: "skip-verify"}},
		{"mysql://u:p%40ss@h:3310/d", endpoint{Network: "tcp", Addr: "h:3310", User: "u", Password: "p@ss", DB: "d"}},
		{"mysql://h/d?tls=true", endpoint{Network: "tcp", Addr: "h:3306", DB: "d", TLS: "true"}},
		{"jdbc:mysql://h:3306/d?user=u&password=p&useSSL=true", endpoint{Network: "tcp", Addr: "h:3306", User: "u", Password: "p", DB: "d", TLS: "true"}},
		{"jdbc:mariadb://h/d", endpoint{Network: "tcp", Addr: "h:3306", DB: "d"}},
	}
	for _, tt := range tests {
		got, err := parseURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %+v %v\nwant %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "no-slash", "u:p@tcp(h:1", "ftp://h/d", "u:p@udp(h)/d", "jdbc:mysql://h1,h2/d", "/d?tls=maybe", "mysql://u:secret@h:port/d"} {
		if ep, err := parseURL(bad); err == nil {
			t.Errorf("%q accepted as %+v", bad, ep)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error %v shows the password", bad, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"u:p@tcp(h:1)/d?tls=true", "mysql://u:p@h/d", "jdbc:mysql://h/d?user=u", "@/", "(/)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := parseURL(s)
		if err != nil {
			return
		}
		if ep.Network != "tcp" && ep.Network != "unix" {
			t.Fatalf("%q: network %q", s, ep.Network)
		}
		if ep.Addr == "" {
			t.Fatalf("%q: no address", s)
		}
	})
}
