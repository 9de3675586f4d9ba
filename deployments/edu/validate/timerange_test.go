package validate

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	want := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for in, out := range map[string]time.Time{
		"2024-05-01":                want("2024-05-01 00:00:00.000"),
		"20240501":                  want("2024-05-01 00:00:00.000"),
		"2024050110":                want("2024-05-01 10:00:00.000"),
		"2024-05-01 10:30":          want("2024-05-01 10:30:00.000"),
		" 2024-05-01 10:30:15 ":     want("2024-05-01 10:30:15.000"),
		"2024-05-01 10:30:15.250":   want("2024-05-01 10:30:15.250"),
		"2024-05-01T10:30:15":       want("2024-05-01 10:30:15.000"),
		"2024-05-01T02:30:15Z":      want("2024-05-01 10:30:15.000"),
		"2024-05-01T10:30:15+08:00": want("2024-05-01 10:30:15.000"),
	} {
		got, err := ParseTime(in)
		if err != nil || !got.Equal(out) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, out)
		}
	}
	for _, in := range []string{"", "yesterday", "2024-13-01", "2024-05-01 25:00", "1714528800000", "2024-05-01T10:30:15+25:00", "19691231", "00000101"} {
		if got, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestNewRange(t *testing.T) {
	if r, err := NewRange("", ""); err != nil || !r.All() || r.String() != "all" {
		t.Errorf("open range: %v %v", r, err)
	}
	r, err := NewRange("2024-05-01 10:00", "")
	if err != nil || !r.Contains(wall(t, "2024-05-01 10:00:00")) || r.Contains(wall(t, "2024-05-01 09:59:59.999")) || !r.Contains(wall(t, "2030-01-01 00:00:00")) {
		t.Errorf("from only: %v %v", r, err)
	}
	r, err = NewRange("", "2024-05-01 10:00")
	if err != nil || r.Contains(wall(t, "2024-05-01 10:00:00")) || !r.Contains(wall(t, "2024-05-01 09:59:59.999")) {
		t.Errorf("to only: %v %v", r, err)
	}
	for _, bad := range [][2]string{{"2024-05-02", "2024-05-01"}, {"2024-05-01", "2024-05-01"}, {"x", ""}, {"", "x"}} {
		if _, err := NewRange(bad[0], bad[1]); err == nil {
			t.Errorf("NewRange(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// FuzzParseTime: any text is read or refused without a panic, and a time
// read prints in a form that reads back as the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-05-01", "2024050110", "2024-05-01 10:30:15.250", "2024-05-01T02:30:15Z", "20240501", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTime(s)
		if err != nil {
			return
		}
		printed := v.Format(time.RFC3339Nano)
		back, err := ParseTime(printed)
		if err != nil || !back.Equal(v) {
			t.Fatalf("ParseTime(%q) = %v, printed %q reads back as %v, %v", s, v, printed, back, err)
		}
	})
}
