package smt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/value"
)

const unwrapSummary = "Opens a Debezium change event (bare or inside {schema, payload}) into the row it leaves behind, as Debezium's ExtractNewRecordState does; a plain JSON row passes unchanged, so a job reads CDC topics and plain topics alike."

type unwrapConfig struct {
	Delete     string `json:"delete.handling" default:"tombstone" validate:"oneof=tombstone drop rewrite" doc:"A delete becomes a tombstone (null value; later steps still see the deleted row's fields, so a hash step can key it), is dropped, or is rewritten as the deleted row with __deleted=true."`
	AddOp      bool   `json:"add.op" default:"false" doc:"Add the operation (c, u, d, r) as field __op."`
	Tombstones string `json:"tombstones" default:"drop" validate:"oneof=drop keep" doc:"What happens to a tombstone that arrives (CDC sources send one after each delete, keyed as the source keys it): drop (counted as <alias>.tombstones_dropped; the delete event before it already made one) or keep (passed on as it is)."`
}

type unwrapStep struct {
	deletes        string
	addOp          bool
	keepTombstones bool
	tombstones     int64
	top            value.Row
	row            value.Row
	dropped        int64
}

func buildUnwrap(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[unwrapConfig](cfg)
	if err != nil {
		return nil, err
	}
	return &unwrapStep{deletes: c.Delete, addOp: c.AddOp, keepTombstones: c.Tombstones == "keep"}, nil
}

func (s *unwrapStep) apply(c *cursor) error {
	if c.null && !c.parsed && !s.keepTombstones {
		s.tombstones++
		c.drop = true
		return nil
	}
	top, err := c.fields()
	if err != nil {
		return err
	}
	env := top
	if payload, ok := top.Get("payload"); ok && top.Index("schema") >= 0 {
		raw, isJSON := payload.Raw()
		if !isJSON || !strings.HasPrefix(raw, "{") {
			return errors.New("payload is not an object")
		}
		s.top.Reset()
		if err := extract.Object([]byte(raw), &s.top, c.maxDepth); err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		env = &s.top
	}
	opValue, hasOp := env.Get("op")
	op, isText := opValue.Str()
	before, hasBefore := env.Get("before")
	after, hasAfter := env.Get("after")
	if !hasOp || !isText || !(hasBefore || hasAfter) {
		if env != top {
			c.replace(env) // the payload of a plain row
		}
		return nil
	}
	image := after
	switch op {
	case "c", "u", "r":
	case "d":
		image = before
	default:
		return fmt.Errorf("change event has unknown op %q", op)
	}
	raw, isJSON := image.Raw()
	if !isJSON || !strings.HasPrefix(raw, "{") {
		return fmt.Errorf("%q event without its row object", op)
	}
	s.row.Reset()
	if err := extract.Object([]byte(raw), &s.row, c.maxDepth); err != nil {
		return fmt.Errorf("change event row: %w", err)
	}
	if s.addOp {
		s.row.Set("__op", value.OfString(op))
	}
	if op == "d" {
		switch s.deletes {
		case "drop":
			s.dropped++
			c.drop = true
			return nil
		case "rewrite":
			s.row.Set("__deleted", value.OfBool(true))
		default:
			c.replace(&s.row)
			c.null = true
			return nil
		}
	}
	c.replace(&s.row)
	return nil
}

func (s *unwrapStep) count(add func(string, int64)) {
	add("deletes_dropped", s.dropped)
	add("tombstones_dropped", s.tombstones)
}
