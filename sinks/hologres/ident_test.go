package hologres

import (
	"strings"
	"testing"
)

func TestTableNames(t *testing.T) {
	tests := []struct {
		format, topic string
		want          tableName
	}{
		{"${topic}", "orders", tableName{Name: "orders"}},
		{"${topic}", "dwd.student_signal", tableName{Schema: "dwd", Name: "student_signal"}},
		{"${topic}", "App-Events", tableName{Name: "app-events"}},
		{"ads.${topic}_latest", "Orders", tableName{Schema: "ads", Name: "orders_latest"}},
		{`"Ads"."${topic}"`, "Mixed.Case", tableName{Schema: "Ads", Name: "Mixed.Case"}},
		{`"we""ird"`, "x", tableName{Name: `we"ird`}},
		{"fixed_table", "whatever", tableName{Name: "fixed_table"}},
	}
	for _, tt := range tests {
		tmpl, err := parseTemplate(tt.format)
		if err != nil {
			t.Errorf("%q: %v", tt.format, err)
			continue
		}
		got, err := tmpl.table(tt.topic)
		if err != nil || got != tt.want {
			t.Errorf("%q with topic %q = %+v, %v; want %+v", tt.format, tt.topic, got, err, tt.want)
		}
	}
	for _, bad := range []string{"a.b.c", "", `"unterminated`, `a"b`, "a..b", ".a", "a.", "has space", `""`, strings.Repeat("x", 64), `"a"b`} {
		if got, err := parseTableName(bad); err == nil {
			t.Errorf("parseTableName(%q) = %+v, want an error", bad, got)
		}
	}
	for _, bad := range []string{"${topik}", "x_${", "  "} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q) accepted", bad)
		}
	}
	if got := (tableName{Schema: `s"q`, Name: "t"}).String(); got != `"s""q"."t"` {
		t.Errorf("quoted name %s", got)
	}
}

// FuzzTableName: a table.name.format and a topic either give a name that
// quotes and parses back to itself, or an error; never a panic, never an
// empty part.
func FuzzTableName(f *testing.F) {
	for _, s := range [][2]string{{"${topic}", "dwd.student_signal"}, {`"A"."${topic}"`, `x"y`}, {"s.${topic}", "T"}, {"${topic}${topic}", "a.b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, format, topic string) {
		tmpl, err := parseTemplate(format)
		if err != nil {
			return
		}
		name, err := tmpl.table(topic)
		if err != nil {
			return
		}
		if name.Name == "" || len(name.Name) > maxIdentBytes || len(name.Schema) > maxIdentBytes {
			t.Fatalf("%q/%q gave %+v", format, topic, name)
		}
		again, err := parseTableName(name.String())
		if err != nil || again != name {
			t.Fatalf("%q/%q: %+v quoted as %s reads back as %+v, %v", format, topic, name, name.String(), again, err)
		}
	})
}
