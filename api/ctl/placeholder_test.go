package ctl

import (
	"errors"
	"strings"
	"testing"
)

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestExpandPlaceholders(t *testing.T) {
	env := mapEnv(map[string]string{"HOST": "db.local", "PORT": "3306", "EMPTY": "", "DOLLAR": "a${B}c"})
	tests := []struct {
		in, want string
		err      string // substring of the error; "" for none
	}{
		{in: "", want: ""},
		{in: "plain $ text $$ {x}", want: "plain $ text $$ {x}"},
		{in: "${HOST}", want: "db.local"},
		{in: "tcp(${HOST}:${PORT})/ads", want: "tcp(db.local:3306)/ads"},
		{in: "${MISSING:-fallback}", want: "fallback"},
		{in: "${HOST:-fallback}", want: "db.local"},
		{in: "${EMPTY:-fallback}", want: "fallback"}, // :- also covers set-but-empty, as in sh
		{in: "[${EMPTY}]", want: "[]"},
		{in: "${MISSING:-}", want: ""},
		{in: "${MISSING:-a:b-c/d}", want: "a:b-c/d"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "$${MISSING}", want: "${MISSING}"},
		{in: "$$${HOST}", want: "$${HOST}"},
		{in: "x$${", want: "x${"},
		{in: "${DOLLAR}", want: "a${B}c"}, // values are not expanded again
		{in: "${file:/etc/kafka/secrets.properties:password}", want: "${file:/etc/kafka/secrets.properties:password}"},
		{in: "${env:HOST}", want: "${env:HOST}"},
		{in: "${_X1:-d}", want: "d"},
		{in: "${MISSING}", err: "environment variable MISSING is not set"},
		{in: "a ${HOST} ${NOPE:-x} ${NOPE2}", err: "NOPE2"},
		{in: "${", err: "unterminated"},
		{in: "abc ${HOST", err: "unterminated"},
		{in: "${}", err: "malformed"},
		{in: "${1ABC}", err: "malformed"},
		{in: "${HOST-x}", err: "malformed"},
		{in: "${ HOST }", err: "malformed"},
	}
	for _, tt := range tests {
		got, err := ExpandPlaceholders(tt.in, env)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ExpandPlaceholders(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ExpandPlaceholders(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	_, err := ExpandPlaceholders("${SERVING_URL}", nil)
	var unset *UnsetVariableError
	if !errors.As(err, &unset) || unset.Name != "SERVING_URL" {
		t.Fatalf("error = %v, want *UnsetVariableError naming SERVING_URL", err)
	}
}

// escape makes s expand to itself.
func escape(s string) string { return strings.ReplaceAll(s, "${", "$${") }

func FuzzExpandPlaceholders(f *testing.F) {
	for _, s := range []string{
		"", "${A}", "${A:-b}", "$${A}", "$$${A}", "${", "${}", "${file:/p:k}", "x${A:-${B}}y",
		"user:${PW:-p@ss}@tcp(${HOST}:${PORT:-3306})/db", "}${", "$$", "${A:-}", "\xff${A}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		unset := func(string) (string, bool) { return "", false }
		got, err := ExpandPlaceholders(s, unset)
		if !strings.Contains(s, "${") && (err != nil || got != s) {
			t.Fatalf("text without ${ changed: %q -> %q, %v", s, got, err)
		}

		// Escaping every "${" gives text that expands back to s, whatever s holds.
		back, err := ExpandPlaceholders(escape(s), unset)
		if err != nil || back != s {
			t.Fatalf("escaped %q expands to %q, %v", escape(s), back, err)
		}

		// With every variable set to "", expansion never grows the text and
		// fails only on malformed placeholders, never on unset variables.
		empty := func(string) (string, bool) { return "", true }
		got, err = ExpandPlaceholders(s, empty)
		var unsetErr *UnsetVariableError
		if errors.As(err, &unsetErr) {
			t.Fatalf("%q: unset-variable error with every variable set: %v", s, err)
		}
		if err == nil && len(got) > len(s) {
			t.Fatalf("%q grew to %q with empty variables", s, got)
		}

		// Values are inserted verbatim, never expanded again: a value that
		// would be a malformed placeholder changes nothing about success.
		plain := func(string) (string, bool) { return "v", true }
		tricky := func(string) (string, bool) { return "${", true }
		_, errPlain := ExpandPlaceholders(s, plain)
		_, errTricky := ExpandPlaceholders(s, tricky)
		if (errPlain == nil) != (errTricky == nil) {
			t.Fatalf("%q: value re-expanded? plain err %v, tricky err %v", s, errPlain, errTricky)
		}
	})
}
