package sdk

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzConfig has a key of every kind, and rules, since config values come
// from REST bodies.
type fuzzConfig struct {
	Name    string        `json:"name" validate:"required,max=20,regexp=^[a-z,]*$"`
	Count   int           `json:"count" default:"1" validate:"gt=0,lte=100"`
	Big     int64         `json:"big"`
	Ratio   float64       `json:"ratio" validate:"gte=0,lt=1"`
	On      bool          `json:"on" default:"true"`
	Wait    time.Duration `json:"wait" default:"5s" validate:"gte=1ms"`
	Items   []string      `json:"items" validate:"max=4,oneof=a b c"`
	Secret  Password      `json:"secret" validate:"min=2"`
	Nested  *dbConfig     `json:"db"`
	Untyped string
}

func FuzzDecode(f *testing.F) {
	f.Add("abc", "5", "9", "0.5", "false", "100", "a,b", "pw", "host", "extra")
	f.Add("", "0", "x", "NaN", "yes", "1.5h", ",,", "", "", "")
	f.Add("a,b", "-1", "99999999999999999999", "1e400", " TRUE ", "-9223372036855", "a, d", "x", " ", "\x00")
	f.Add("é", "0x1", "-0", "-0.0", "tRuE", "1ns", "c,c,c,c,c", "\xff", "db\n", "=")
	f.Fuzz(func(t *testing.T, name, count, big, ratio, on, wait, items, secret, host, extra string) {
		cfg := Config{
			"name": name, "count": count, "big": big, "ratio": ratio, "on": on, "wait": wait,
			"items": items, "secret": secret, "db.hostname": host, "db.port": extra, extra: extra,
		}
		var c fuzzConfig
		err := Decode(cfg, &c)
		bad := Validate(&fuzzConfig{}, cfg)
		if bad == nil {
			t.Fatal("Validate returned nil")
		}
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Decode returned %T %v, want a *ValidationError", err, err)
			}
			if !reflect.DeepEqual(verr.Fields, bad) {
				t.Fatalf("Decode found %q, Validate %q", verr.Fields, bad)
			}
			if !reflect.DeepEqual(c, fuzzConfig{}) {
				t.Fatalf("Decode wrote the target of an invalid config: %+v", c)
			}
			for k := range bad {
				if _, known := cfg[k]; !known && k != "name" && k != "db.hostname" {
					t.Fatalf("error for key %q that only a required rule may report: %q", k, bad)
				}
			}
			if s := verr.Error(); !strings.HasPrefix(s, "invalid config: ") {
				t.Fatalf("Error() = %q", s)
			}
			return
		}
		if len(bad) != 0 {
			t.Fatalf("Decode succeeded but Validate found %q", bad)
		}
		// What Decode accepted obeys the tags.
		if c.Name == "" || len(c.Name) > 20*4 || c.Count <= 0 || c.Count > 100 || c.Ratio < 0 || c.Ratio >= 1 ||
			c.Wait < time.Millisecond || len(c.Items) > 4 || c.Nested == nil || c.Nested.Host == "" {
			t.Fatalf("Decode accepted a config that breaks its rules: %+v", c)
		}
		for _, it := range c.Items {
			if it != "a" && it != "b" && it != "c" {
				t.Fatalf("item %q", it)
			}
		}
		if s := cfg["secret"]; !blank(s) && c.Secret.Value() != s {
			t.Fatalf("secret %q, want %q", c.Secret.Value(), s)
		}
		// Decoding again into a used target gives the same result.
		again := fuzzConfig{Big: 7, Items: []string{"z"}, Nested: &dbConfig{Password: "old"}}
		if err := Decode(cfg, &again); err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("second Decode = %+v, %v; want %+v", again, err, c)
		}
		if m := Masked(&fuzzConfig{}, cfg); m["secret"] != "[hidden]" {
			t.Fatalf("Masked secret = %q", m["secret"])
		}
	})
}
