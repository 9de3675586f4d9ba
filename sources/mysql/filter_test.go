package mysql

import "testing"

func TestFilter(t *testing.T) {
	f, err := newFilter(&Config{IncludeDatabases: []string{"school"}, ExcludeTables: []string{`school\.audit_.*`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		db, table string
		want      bool
	}{
		{"school", "orders", true},
		{"School", "Orders", true}, // case-insensitive
		{"school", "audit_log", false},
		{"schoolx", "orders", false}, // whole name
		{"mysql", "user", false},     // system databases never
	} {
		if got := f.table(tt.db, tt.table); got != tt.want {
			t.Errorf("%s.%s captured = %v, want %v", tt.db, tt.table, got, tt.want)
		}
	}
	if _, err := newFilter(&Config{IncludeTables: []string{"a"}, ExcludeTables: []string{"b"}}); err == nil {
		t.Error("include and exclude lists together were accepted")
	}
	if _, err := newFilter(&Config{IncludeTables: []string{"("}}); err == nil {
		t.Error("a bad regular expression was accepted")
	}
}
