package smt

import (
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
)

const setSummary = "Sets fields to computed values, the select list of the warehouse's SQL: coalesce, concat, CASE WHEN, md5, date_format, cast, lower, upper, trim of fields and literals, applied in order. A value a function cannot take refuses the record."

// setConfig has one key of assignments rather than a LIST: the sdk splits a
// LIST at every comma, and values hold commas (concat(a, b), in ('A','B')),
// so expr.ParseAssignments splits them where the grammar says.
type setConfig struct {
	Fields string `json:"fields" validate:"required" doc:"Assignments field = value, separated by commas, applied in order: each sees the fields the ones before it set. E.g. user_id = coalesce(user_id, -1), event = concat(event, '_AUDIO_STATE'), level = CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END. A value is a field, a literal, null, CASE WHEN condition THEN value ... [ELSE value] END (the conditions of Conditions; no ELSE is null), or a function: coalesce(a, b, ...) the first that is not null; concat(a, b, ...) the texts joined, null if any is null as in SQL (coalesce(x, '') reads a null as empty); md5(x) lower-case hex; lower(x), upper(x), trim(x); cast(x as string|long|double|boolean); date_format(t, 'yyyy-MM-dd HH:mm:ss'[, 'Asia/Shanghai']) of epoch millis or yyyy-MM-dd[ HH:mm:ss[.SSS]] or RFC 3339 text, default zone UTC. The other functions are null of null. Commas inside quotes, parentheses and CASEs belong to their value; case, when, then, else, end and as are keywords (backquote fields so named). A value a function cannot take ('abc' in cast(x as long), text that is not a time in date_format) refuses the record. The full grammar is in the package documentation of transforms/expr." importance:"high"`
}

type setStep struct {
	assigns []expr.Assignment
	hints   []int // where each assignment's field was last time
	scratch expr.Scratch
}

func buildSet(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[setConfig](cfg)
	if err != nil {
		return nil, err
	}
	assigns, err := expr.ParseAssignments(c.Fields)
	if err != nil {
		return nil, &sdk.KeyError{Key: "fields", Err: err}
	}
	s := &setStep{assigns: assigns, hints: make([]int, len(assigns))}
	for i := range s.hints {
		s.hints[i] = -1
	}
	return s, nil
}

func (s *setStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	for i, a := range s.assigns {
		v, err := a.Value.Eval(row, &s.scratch)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Field, err)
		}
		s.hints[i] = row.SetFrom(s.hints[i], a.Field, v)
	}
	c.changed()
	return nil
}
