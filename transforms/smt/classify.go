package smt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/value"
)

const classifySummary = "Names each record's event by a rule table: the first rule whose condition matches writes its name into a field. Records no rule matches are dropped and counted, kept, routed to another topic or refused."

type classifyConfig struct {
	Rules          []string `json:"rules" validate:"required,min=1" doc:"Event names in the order their rules are tried; the first that matches wins. The rule of event NAME is the condition transforms.<alias>.rule.NAME (see Conditions)." importance:"high"`
	Field          string   `json:"field" default:"event" doc:"Field that receives the event name."`
	Unmatched      string   `json:"unmatched" default:"drop" validate:"oneof=drop keep route fail" doc:"What happens to a record no rule matches: drop (counted as <alias>.unmatched), keep (the field is null), route (to unmatched.topic) or fail (refused: dead-lettered under errors.tolerance=all)."`
	UnmatchedTopic string   `json:"unmatched.topic" doc:"Topic of unmatched records when unmatched=route."`
}

type rule struct {
	event string
	hits  int64
}

type classifyStep struct {
	rules      []rule
	table      *expr.Table // the rules' conditions
	field      string
	unmatched  string
	topic      string
	misses     int64
	fieldIndex int // hint: where the field was last time
}

func buildClassify(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[classifyConfig](cfg)
	if err != nil {
		return nil, err
	}
	if c.Unmatched == "route" && strings.TrimSpace(c.UnmatchedTopic) == "" {
		return nil, &sdk.KeyError{Key: "unmatched.topic", Err: errors.New("required when unmatched=route")}
	}
	s := &classifyStep{field: value.Intern(c.Field), unmatched: c.Unmatched, topic: strings.TrimSpace(c.UnmatchedTopic), fieldIndex: -1}
	listed := map[string]bool{}
	var conds []*expr.Expr
	for _, event := range c.Rules {
		if event == "unmatched" {
			return nil, &sdk.KeyError{Key: "rules", Err: errors.New("unmatched is the name the step counts misses under; give the event another name")}
		}
		if listed[event] {
			return nil, &sdk.KeyError{Key: "rules", Err: fmt.Errorf("event %s is listed twice", event)}
		}
		listed[event] = true
		src, ok := cfg["rule."+event]
		if !ok || strings.TrimSpace(src) == "" {
			return nil, &sdk.KeyError{Key: "rule." + event, Err: errors.New("every event in rules needs a condition")}
		}
		cond, err := expr.Parse(src)
		if err != nil {
			return nil, &sdk.KeyError{Key: "rule." + event, Err: err}
		}
		s.rules = append(s.rules, rule{event: event})
		conds = append(conds, cond)
	}
	s.table = expr.NewTable(conds)
	for k := range cfg {
		if event, ok := strings.CutPrefix(k, "rule."); ok && !listed[event] {
			return nil, &sdk.KeyError{Key: k, Err: fmt.Errorf("event %s is not in rules, so this rule would never be tried", event)}
		}
	}
	return s, nil
}

func (s *classifyStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	if i := s.table.Match(row); i >= 0 {
		s.rules[i].hits++
		s.set(c, row, value.OfString(s.rules[i].event))
		return nil
	}
	s.misses++
	switch s.unmatched {
	case "drop":
		c.drop = true
	case "keep":
		s.set(c, row, value.Value{})
	case "route":
		s.set(c, row, value.Value{})
		c.rec.Topic = s.topic
	default:
		return errors.New("no rule matched")
	}
	return nil
}

func (s *classifyStep) set(c *cursor, row *value.Row, v value.Value) {
	s.fieldIndex = row.SetFrom(s.fieldIndex, s.field, v)
	c.changed()
}

func (s *classifyStep) count(add func(string, int64)) {
	add("unmatched", s.misses)
	for _, r := range s.rules {
		add(r.event, r.hits)
	}
}
