package smt

import (
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/value"
)

const extractSummary = "Pulls typed fields out of nested JSON by path, in one pass over the value. Nested objects may arrive as objects or as strings holding JSON; numbers as numbers or strings. A missing path gives null; a value that does not convert to the field's type refuses the record."

type extractConfig struct {
	Fields []string `json:"fields" validate:"required,min=1" doc:"The fields to make, in order, each name=path:type: userId=data.userid:long. The path is dotted (data.msg.msg_data.target_id, $. optional), with [0] for array items and ['a.b'] for keys holding dots; type is auto (as it came), string, long, double or boolean (default auto); name defaults to the path's last key." importance:"high"`
	Mode   string   `json:"mode" default:"replace" validate:"oneof=replace merge" doc:"replace: the value becomes the extracted fields only; merge: they are added to the value's top-level fields (replacing fields of the same name)."`
}

type extractStep struct {
	ex      *extract.Extractor
	merge   bool
	scratch value.Row
}

func buildExtract(cfg sdk.Config, chain Config) (step, error) {
	c, err := decode[extractConfig](cfg)
	if err != nil {
		return nil, err
	}
	specs := make([]extract.Spec, 0, len(c.Fields))
	for _, item := range c.Fields {
		spec, err := parseFieldSpec(item)
		if err != nil {
			return nil, &keyError{key: "fields", err: err}
		}
		specs = append(specs, spec)
	}
	ex, err := extract.Compile(specs, extract.Options{MaxDepth: chain.MaxDepth})
	if err != nil {
		return nil, &keyError{key: "fields", err: err}
	}
	return &extractStep{ex: ex, merge: c.Mode == "merge"}, nil
}

// parseFieldSpec reads name=path:type, where name= and :type are optional.
func parseFieldSpec(item string) (extract.Spec, error) {
	item = strings.TrimSpace(item)
	name, pathText, named := strings.Cut(item, "=")
	if !named || strings.ContainsAny(name, ".[") {
		name, pathText, named = "", item, false
	}
	typ := value.TypeAuto
	if i := strings.LastIndexByte(pathText, ':'); i >= 0 && !strings.ContainsAny(pathText[i:], "]'\"") {
		t, err := value.ParseType(pathText[i+1:])
		if err != nil {
			return extract.Spec{}, fmt.Errorf("%q: %w (a key holding a colon goes in ['...'])", item, err)
		}
		typ, pathText = t, pathText[:i]
	}
	path, err := extract.ParsePath(strings.TrimSpace(pathText))
	if err != nil {
		return extract.Spec{}, fmt.Errorf("%q: %w", item, err)
	}
	name = strings.TrimSpace(name)
	if !named {
		name = path.LastKey()
	}
	if name == "" {
		return extract.Spec{}, fmt.Errorf("%q: give the field a name (name=path)", item)
	}
	return extract.Spec{Name: name, Path: path, Type: typ}, nil
}

func (s *extractStep) apply(c *cursor) error {
	data, err := c.json()
	if err != nil {
		return err
	}
	s.scratch.Reset()
	if err := s.ex.Extract(data, &s.scratch); err != nil {
		return err
	}
	if !s.merge {
		c.replace(&s.scratch)
		return nil
	}
	row, err := c.fields()
	if err != nil {
		return err
	}
	for _, f := range s.scratch.Fields {
		row.Set(f.Name, f.Value)
	}
	c.changed()
	return nil
}
