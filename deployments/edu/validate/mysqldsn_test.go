package validate

import "testing"

func TestParseMySQLDSN(t *testing.T) {
	for in, want := range map[string]mysqlEndpoint{
		"tributary:secret@tcp(127.0.0.1:3307)/results": {Addr: "127.0.0.1:3307", User: "tributary", Password: "secret", DB: "results"},
		"u:p@tcp(db.example)/results?parseTime=true":   {Addr: "db.example:3306", User: "u", Password: "p", DB: "results"},
		"u:p@ss/w@rd@tcp([::1]:3306)/r":                {Addr: "[::1]:3306", User: "u", Password: "p@ss/w@rd", DB: "r"},
		"u@unix(/run/mysqld/mysqld.sock)/results":      {Addr: "/run/mysqld/mysqld.sock", User: "u", DB: "results"},
		"/results":                    {Addr: "127.0.0.1:3306", DB: "results"},
		"mysql://u:p@db:3310/results": {Addr: "db:3310", User: "u", Password: "p", DB: "results"},
		"mysql://u@db/results":        {Addr: "db:3306", User: "u", DB: "results"},
	} {
		got, err := parseMySQLDSN(in)
		if err != nil || got != want {
			t.Errorf("parseMySQLDSN(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "u:p@tcp(127.0.0.1:3306)", "u:p@udp(1.2.3.4)/db", "u:p@tcp(127.0.0.1/db", "u@unix(sock)/db"} {
		if got, err := parseMySQLDSN(in); err == nil {
			t.Errorf("parseMySQLDSN(%q) = %+v, want an error", in, got)
		}
	}
}
