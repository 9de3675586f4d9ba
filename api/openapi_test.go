package api

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type openAPIDoc struct {
	OpenAPI    string                          `yaml:"openapi"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Parameters map[string]openAPIParam `yaml:"parameters"`
	} `yaml:"components"`
}

type openAPIParam struct {
	Ref  string `yaml:"$ref"`
	Name string `yaml:"name"`
	In   string `yaml:"in"`
}

type openAPIOperation struct {
	Parameters  []openAPIParam         `yaml:"parameters"`
	RequestBody yaml.Node              `yaml:"requestBody"`
	Responses   map[string]yaml.Node   `yaml:"responses"`
	Security    *[]map[string][]string `yaml:"security"`
}

var openAPIMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

func parseOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(OpenAPISpec(), &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi version %q, want 3.0.x", doc.OpenAPI)
	}
	return doc
}

// ginPathParam matches gin's :name and *name path parameters.
var ginPathParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestOpenAPIMatchesRoutes keeps openapi.yaml and routes.go in step: every
// route registered in gin (with every optional route on) is documented with
// the same method, and every documented operation is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := parseOpenAPI(t)
	s := NewServer(newFake(), Options{Metrics: http.NotFoundHandler(), UI: http.NotFoundHandler()})

	registered := map[string]bool{}
	for _, r := range s.engine.Routes() {
		registered[r.Method+" "+ginPathParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if slices.Contains(openAPIMethods, method) {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	for r := range registered {
		if !documented[r] {
			t.Errorf("route %s is not documented in openapi.yaml", r)
		}
	}
	for d := range documented {
		if !registered[d] {
			t.Errorf("openapi.yaml documents %s, which is not a route", d)
		}
	}
	if len(registered) < 25 {
		t.Fatalf("only %d routes registered; the route table looks wrong", len(registered))
	}
}

// TestOpenAPIOperationsComplete checks what each documented operation must
// say: its path parameters, a success answer, 401 for writes, 400 and 413 for
// bodies, and no dangling parameter references.
func TestOpenAPIOperationsComplete(t *testing.T) {
	doc := parseOpenAPI(t)
	for path, item := range doc.Paths {
		var shared []openAPIParam
		if n, ok := item["parameters"]; ok {
			if err := n.Decode(&shared); err != nil {
				t.Fatalf("%s parameters: %v", path, err)
			}
		}
		for method, node := range item {
			if !slices.Contains(openAPIMethods, method) {
				continue
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			where := strings.ToUpper(method) + " " + path
			inPath := map[string]bool{}
			for _, p := range append(slices.Clone(shared), op.Parameters...) {
				if p.Ref != "" {
					name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
					ref, ok := doc.Components.Parameters[name]
					if !ok {
						t.Errorf("%s: dangling parameter reference %s", where, p.Ref)
						continue
					}
					p = ref
				}
				if p.In == "path" {
					inPath[p.Name] = true
				}
			}
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				if !inPath[m[1]] {
					t.Errorf("%s: path parameter %s is not declared", where, m[1])
				}
			}
			success := false
			for code := range op.Responses {
				if code[0] == '2' || code == "301" {
					success = true
				}
			}
			if !success {
				t.Errorf("%s: no success response", where)
			}
			open := op.Security != nil && len(*op.Security) == 0
			if method != "get" && !open {
				if _, ok := op.Responses["401"]; !ok {
					t.Errorf("%s: a write without a 401 response", where)
				}
			}
			if op.RequestBody.Kind != 0 {
				for _, code := range []string{"400", "413"} {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("%s: takes a body but documents no %s", where, code)
					}
				}
			}
		}
	}
}

// TestOpenAPIDocumentsErrorShape checks the documented error entity is the one
// errorBody encodes.
func TestOpenAPIDocumentsErrorShape(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string             `yaml:"required"`
				Properties map[string]yaml.Node `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(OpenAPISpec(), &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Components.Schemas["Error"]
	got := fmt.Sprint(slices.Sorted(func(yield func(string) bool) {
		for k := range e.Properties {
			if !yield(k) {
				return
			}
		}
	}))
	if got != "[error_code message]" || fmt.Sprint(e.Required) != "[error_code message]" {
		t.Fatalf("Error schema properties %s required %v", got, e.Required)
	}
}
