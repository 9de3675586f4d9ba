package sdk

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderMarkdown(t *testing.T) {
	keys, err := Spec(&fileSinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Keys that would break a table if written raw.
	keys = append(keys,
		ConfigKey{Name: "odd|name", Type: "STRING", DefaultValue: ptr("`x`|y"), Documentation: "Line one.\nLine two, with a | pipe."},
		ConfigKey{Name: "empty.default", Type: "LIST", DefaultValue: ptr(""), Enum: []string{"a", "b"}},
	)
	golden(t, "render_markdown.golden", RenderMarkdown("File sink", keys))
}

func TestRenderMarkdownWithoutTitle(t *testing.T) {
	got := RenderMarkdown("", []ConfigKey{{Name: "a", Type: "INT", Required: true}})
	want := "| Name | Type | Default | Required | Description |\n" +
		"|------|------|---------|----------|-------------|\n" +
		"| `a` | INT |  | yes |  |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCodeSpan(t *testing.T) {
	tests := map[string]string{
		"plain":    "`plain`",
		"":         "`\"\"`",
		"a`b":      "``a`b``",
		"a``b`":    "``` a``b` ```",
		"`quoted`": "`` `quoted` ``",
	}
	for in, want := range tests {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
	if got := tableCell("a|b\r\nc"); got != `a\|b c` || strings.Contains(got, "\n") {
		t.Errorf("tableCell = %q", got)
	}
}
