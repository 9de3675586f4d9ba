package smt

import (
	"errors"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/value"
)

const flattenSummary = "Lifts the fields of nested objects to the top level, joining names with a delimiter ({\"a\":{\"b\":1}} becomes {\"a.b\":1}), as Kafka Connect's Flatten does; arrays stay as they are."

type flattenConfig struct {
	Delimiter string `json:"delimiter" default:"." doc:"What joins a parent's name and a child's."`
	Strings   bool   `json:"parse.strings" default:"false" doc:"Also open strings that hold a JSON object (a value its producer encoded twice)."`
}

type flattenStep struct {
	delim    string
	strings  bool
	maxDepth int
	out      value.Row
	tmp      []value.Row // one per nesting level
}

func buildFlatten(cfg sdk.Config, chain Config) (step, error) {
	c, err := decode[flattenConfig](cfg)
	if err != nil {
		return nil, err
	}
	return &flattenStep{delim: c.Delimiter, strings: c.Strings, maxDepth: chain.MaxDepth}, nil
}

func (s *flattenStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	if !s.nested(row) {
		return nil
	}
	s.out.Reset()
	if err := s.flatten(row, "", 0); err != nil {
		return err
	}
	c.replace(&s.out)
	return nil
}

// nested reports whether any field needs opening, so flat values cost nothing.
func (s *flattenStep) nested(row *value.Row) bool {
	for _, f := range row.Fields {
		if s.object(f.Value) != "" {
			return true
		}
	}
	return false
}

// object returns the JSON text of an object the step opens, or "".
func (s *flattenStep) object(v value.Value) string {
	switch v.Kind() {
	case value.JSON:
		if raw, _ := v.Raw(); strings.HasPrefix(raw, "{") {
			return raw
		}
	case value.String:
		if text, _ := v.Str(); s.strings && strings.HasPrefix(strings.TrimSpace(text), "{") {
			return text
		}
	}
	return ""
}

var errTooDeep = errors.New("objects nested deeper than value.max.depth")

func (s *flattenStep) flatten(row *value.Row, prefix string, depth int) error {
	if depth > s.maxDepth {
		return errTooDeep
	}
	for _, f := range row.Fields {
		name := f.Name
		if prefix != "" {
			name = prefix + s.delim + f.Name
		}
		text := s.object(f.Value)
		if text == "" {
			s.out.Set(name, f.Value)
			continue
		}
		for len(s.tmp) <= depth {
			s.tmp = append(s.tmp, value.Row{})
		}
		inner := &s.tmp[depth]
		inner.Reset()
		if err := extract.Object([]byte(text), inner, s.maxDepth); err != nil {
			if f.Value.Kind() == value.String {
				s.out.Set(name, f.Value) // a string that only looked like an object stays a string
				continue
			}
			return err
		}
		if err := s.flatten(inner, name, depth+1); err != nil {
			return err
		}
	}
	return nil
}
