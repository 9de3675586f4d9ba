package elasticsearch

import (
	"strings"
	"testing"
	"time"
)

func TestRenderIndex(t *testing.T) {
	at := time.Date(2026, 3, 7, 9, 5, 0, 0, time.UTC)
	tests := map[string]string{
		"${topic}":                           "ods.qos_log",
		"logs":                               "logs",
		"${topic}-${date:yyyy.MM.dd}":        "ods.qos_log-2026.03.07",
		"x-${date:yyMMdd}-${date:HH}h":       "x-260307-09h",
		"a${date:yyyy}b${topic}c${date:dd}d": "a2026bods.qos_logc07d",
	}
	for src, want := range tests {
		p, err := parseIndexPattern(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := p.render("ODS.qos_log", at); got != want {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
		if p.String() != src {
			t.Errorf("String() = %q, want %q", p.String(), src)
		}
	}
}

func TestDateOf(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		v    any
		unit string
		want string
	}{
		{"2026-11-21T06:29:00.123+08:00", "ms", "2026-11-21T06:29:00.123+08:00"},
		{"2026-11-21T06:29:00Z", "ms", "2026-11-21T06:29:00Z"},
		{"2026-11-21 06:29:00", "ms", "2026-11-21T06:29:00+08:00"},
		{"2026-11-21 06:29:00.5", "ms", "2026-11-21T06:29:00.5+08:00"},
		{"2026-11-21T06:29:00", "ms", "2026-11-21T06:29:00+08:00"},
		{"2026-11-21", "ms", "2026-11-21T00:00:00+08:00"},
		{" 1795278600 ", "s", "2026-11-21T16:30:00Z"},
		{"1795278600.5", "s", "2026-11-21T16:30:00.5Z"},
	}
	for _, tt := range tests {
		got, err := dateOf(tt.v, tt.unit, sh)
		if err != nil {
			t.Errorf("%v: %v", tt.v, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, tt.want)
		if !got.Equal(want) {
			t.Errorf("%v: %v, want %v", tt.v, got, want)
		}
	}
	for _, v := range []any{nil, true, map[string]any{}, "21/11/2026", ""} {
		if _, err := dateOf(v, "ms", sh); err == nil {
			t.Errorf("%v: no error", v)
		}
	}
}

// FuzzParseIndexPattern: the index setting comes from users through the
// REST API. Parsing must never panic; an accepted pattern must print back
// to itself and render, for a clean topic, a name Elasticsearch accepts.
func FuzzParseIndexPattern(f *testing.F) {
	for _, s := range []string{"${topic}", "vk_app_es_sign_csh-${date:yyyy.MM.dd}", "${date:", "x-${date:YYYY}", "${topic}${topic}"} {
		f.Add(s)
	}
	at := time.Date(2026, 11, 21, 6, 29, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := parseIndexPattern(src)
		if err != nil {
			return
		}
		if p.String() != src {
			t.Fatalf("%q prints as %q", src, p.String())
		}
		name := p.render("topic", at)
		if name == "" || name != strings.ToLower(name) || strings.ContainsAny(name, badIndexChars) {
			t.Fatalf("%q renders %q", src, name)
		}
	})
}
