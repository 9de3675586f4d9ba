package sdk

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"":                     `""`,
		`a "b" \ c`:            `"a \"b\" \\ c"`,
		"line\nfeed\ttab\x00":  `"line\nfeed\ttab\u0000"`,
		"<html> & 😀":           `"<html> & 😀"`,
		"bad \xff byte":        `"bad \ufffd byte"`,
		"sep\u2028para\u2029.": `"sep\u2028para\u2029."`,
	} {
		if got := string(AppendJSONString(nil, in)); got != want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", in, got, want)
		}
		if got := string(AppendJSONBytes([]byte("x"), []byte(in))); got != "x"+want {
			t.Errorf("AppendJSONBytes(%q) = %s, want x%s", in, got, want)
		}
	}
}

// FuzzAppendJSONString checks the encoder against encoding/json: its output
// is valid JSON that reads back as the input (invalid UTF-8 replaced, as
// encoding/json does).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " back \ slash`, "line\nfeed\ttab\x00nul", "emoji 😀", "\xff\xfe bad", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range [][]byte{AppendJSONString(nil, s), AppendJSONBytes(nil, []byte(s))} {
			var back string
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("%q encodes as %s, not valid JSON: %v", s, out, err)
			}
			want, _ := json.Marshal(s)
			var wantBack string
			_ = json.Unmarshal(want, &wantBack)
			if back != wantBack {
				t.Fatalf("%q reads back as %q, encoding/json gives %q", s, back, wantBack)
			}
		}
	})
}
