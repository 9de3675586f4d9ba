package builtin

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

var update = flag.Bool("update", false, "rewrite docs/connectors from the config structs")

// TestConnectorDocsAreGenerated keeps docs/connectors/<class>.md equal to what
// the config structs say, the same source as GET /connector-plugins/{p}/config
// and config/validate. Run `go test ./plugins/builtin -update` after changing
// a config struct.
func TestConnectorDocsAreGenerated(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "connectors")
	for _, p := range Plugins() {
		keys, err := worker.ConfigKeys(p)
		if err != nil {
			t.Fatalf("%s: %v", p.Class, err)
		}
		want := renderPluginDoc(p, keys)
		path := filepath.Join(dir, p.Class+".md")
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./plugins/builtin -update)", err)
		}
		if string(got) != want {
			t.Errorf("%s is stale: run go test ./plugins/builtin -update", path)
		}
	}
}

func renderPluginDoc(p sdk.Plugin, keys []sdk.ConfigKey) string {
	var b strings.Builder
	b.WriteString("# " + p.Class + "\n\n")
	b.WriteString("<!-- Generated from the config structs by `go test ./plugins/builtin -update`; do not edit. -->\n\n")
	b.WriteString(p.Summary + "\n\n")
	b.WriteString("- type: " + string(p.Type) + "\n- version: " + p.Version + "\n")
	if len(p.Aliases) > 0 {
		b.WriteString("- also accepted as `connector.class`: `" + strings.Join(p.Aliases, "`, `") + "`\n")
	}
	b.WriteString("\n")
	b.WriteString(sdk.RenderMarkdown("Configuration", keys))
	return b.String()
}
