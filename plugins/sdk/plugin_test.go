package sdk

import (
	"context"
	"reflect"
	"testing"
)

type describedTransform struct{ UnimplementedTransform }

func (describedTransform) Process(_ context.Context, r []Record) ([]Record, error) { return r, nil }

// TestDescribedPluginValidatesAndMasksByItsKeys: a plugin described by
// ConfigKeys (one served by another process) is checked and masked by
// those keys, and ValidateConfig adds its own problems to either kind.
func TestDescribedPluginValidatesAndMasksByItsKeys(t *testing.T) {
	def := "x"
	p := Plugin{
		Class: "remote", Type: TypeTransform, NewTransform: func() Transform { return describedTransform{} },
		ConfigKeys: []ConfigKey{
			{Name: "mode", Type: "STRING", Required: true, Enum: []string{"a", "b"}},
			{Name: "secret", Type: "PASSWORD"},
			{Name: "opt", Type: "STRING", Required: true, DefaultValue: &def},
		},
		ValidateConfig: func(cfg Config) map[string][]string {
			if cfg["extra"] == "bad" {
				return map[string][]string{"extra": {"is bad"}}
			}
			return nil
		},
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	got := p.Problems(Config{"mode": "c", "extra": "bad"})
	want := map[string][]string{"mode": {"must be one of a, b"}, "extra": {"is bad"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	if got := p.Problems(Config{}); !reflect.DeepEqual(got, map[string][]string{"mode": {"required"}}) {
		t.Fatalf("problems of an empty config %v, want mode required", got)
	}
	if got := p.Problems(Config{"mode": "a"}); len(got) != 0 {
		t.Fatalf("problems of a valid config %v", got)
	}
	if m := p.Mask(Config{"secret": "s3", "mode": "a"}); m["secret"] != hidden || m["mode"] != "a" {
		t.Fatalf("masked %v", m)
	}
	keys, err := p.Keys()
	if err != nil || len(keys) != 3 {
		t.Fatalf("keys %v %v", keys, err)
	}

	p.ConfigKeys, p.Config = nil, &struct {
		Mode string `json:"mode" validate:"required"`
	}{}
	if got := p.Problems(Config{"extra": "bad"}); !reflect.DeepEqual(got, map[string][]string{"mode": {"required"}, "extra": {"is bad"}}) {
		t.Fatalf("struct plugin problems %v", got)
	}
}
