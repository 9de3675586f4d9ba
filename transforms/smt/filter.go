package smt

import (
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
)

const filterSummary = "Keeps (or drops) the records that match a condition; the others are dropped and counted."

type filterConfig struct {
	Condition string `json:"condition" validate:"required" doc:"The condition (see Conditions), e.g. role = 2 and userId is not null." importance:"high"`
	Action    string `json:"action" default:"keep" validate:"oneof=keep drop" doc:"keep: records that match pass, the rest are dropped; drop: records that match are dropped."`
}

type filterStep struct {
	cond    *expr.Expr
	keep    bool
	dropped int64
}

func buildFilter(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[filterConfig](cfg)
	if err != nil {
		return nil, err
	}
	cond, err := expr.Parse(c.Condition)
	if err != nil {
		return nil, &sdk.KeyError{Key: "condition", Err: err}
	}
	return &filterStep{cond: cond, keep: c.Action == "keep"}, nil
}

func (s *filterStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	if s.cond.Eval(row) != s.keep {
		s.dropped++
		c.drop = true
	}
	return nil
}

func (s *filterStep) count(add func(string, int64)) { add("dropped", s.dropped) }
