package smt

import (
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
		spec, err := extract.ParseSpec(item)
		if err != nil {
			return nil, &sdk.KeyError{Key: "fields", Err: err}
		}
		specs = append(specs, spec)
	}
	ex, err := extract.Compile(specs, extract.Options{MaxDepth: chain.MaxDepth})
	if err != nil {
		return nil, &sdk.KeyError{Key: "fields", Err: err}
	}
	return &extractStep{ex: ex, merge: c.Mode == "merge"}, nil
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
