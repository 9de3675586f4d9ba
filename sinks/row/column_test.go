package row

import (
	"strings"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		typ      string
		kind     Kind
		length   int
		bits     int
		unsigned bool
	}{
		{"bigint", KindInt, 0, 64, false},
		{"BIGINT UNSIGNED", KindInt, 0, 64, true},
		{"int(11)", KindInt, 0, 32, false},
		{"tinyint(1)", KindInt, 0, 8, false},
		{"smallint", KindInt, 0, 16, false},
		{"varchar(64)", KindString, 64, 0, false},
		{"character varying(10)", KindString, 10, 0, false},
		{"text", KindString, 0, 0, false},
		{"decimal(10,2)", KindDecimal, 0, 0, false},
		{"numeric", KindDecimal, 0, 0, false},
		{"double precision", KindFloat, 0, 0, false},
		{"timestamp(3) with time zone", KindTimestampTZ, 0, 0, false},
		{"timestamp without time zone", KindTimestamp, 0, 0, false},
		{"datetime(6)", KindTimestamp, 0, 0, false},
		{"date", KindDate, 0, 0, false},
		{"jsonb", KindJSON, 0, 0, false},
		{"text[]", KindJSON, 0, 0, false},
		{"bytea", KindBytes, 0, 0, false},
		{"boolean", KindBool, 0, 0, false},
	}
	for _, tt := range tests {
		kind, length, bits, unsigned, err := KindOf(tt.typ)
		if err != nil {
			t.Errorf("KindOf(%q): %v", tt.typ, err)
			continue
		}
		if kind != tt.kind || length != tt.length || bits != tt.bits || unsigned != tt.unsigned {
			t.Errorf("KindOf(%q) = %v %d %d %v, want %v %d %d %v", tt.typ, kind, length, bits, unsigned, tt.kind, tt.length, tt.bits, tt.unsigned)
		}
	}
	for _, bad := range []string{"", "geometry", "varchar(x)", "int)("} {
		if _, _, _, _, err := KindOf(bad); err == nil {
			t.Errorf("KindOf(%q) accepted", bad)
		}
	}
}

func TestParseColumns(t *testing.T) {
	cols, err := ParseColumns(`user_id bigint not null, "Room Id" varchar(32), amount decimal(10, 2) NULL, start_time timestamp NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Column{
		{Name: "user_id", Kind: KindInt, SQLType: "bigint", Bits: 64, NotNull: true},
		{Name: "Room Id", Kind: KindString, SQLType: "varchar(32)", Length: 32},
		{Name: "amount", Kind: KindDecimal, SQLType: "decimal(10, 2)", Precision: 10, Scale: 2},
		{Name: "start_time", Kind: KindTimestamp, SQLType: "timestamp", NotNull: true},
	}
	if len(cols) != len(want) {
		t.Fatalf("got %d columns, want %d: %+v", len(cols), len(want), cols)
	}
	for i := range want {
		if cols[i] != want[i] {
			t.Errorf("column %d = %+v, want %+v", i, cols[i], want[i])
		}
	}
	for _, bad := range []string{"", "id", "id bigint, id int", "a-b int", `"x int`, "x unknowntype"} {
		if _, err := ParseColumns(bad); err == nil {
			t.Errorf("ParseColumns(%q) accepted", bad)
		}
	}
}

func FuzzParseColumns(f *testing.F) {
	for _, s := range []string{"id bigint not null, name varchar(64)", `"a b" decimal(10,2) null`, "x text[]", "`y` int unsigned"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, decl string) {
		cols, err := ParseColumns(decl)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range cols {
			if c.Name == "" || c.SQLType == "" {
				t.Fatalf("empty name or type in %+v", c)
			}
			if seen[strings.ToLower(c.Name)] {
				t.Fatalf("duplicate %q accepted", c.Name)
			}
			seen[strings.ToLower(c.Name)] = true
			if _, _, _, _, err := KindOf(c.SQLType); err != nil {
				t.Fatalf("accepted type %q that KindOf refuses: %v", c.SQLType, err)
			}
		}
	})
}
