package smt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
)

const routeSummary = "Sends each record to a topic named from its fields: dwd.signal.{event}; {topic} is the input topic."

type routeConfig struct {
	Topic        string `json:"topic" validate:"required" doc:"Template of the output topic: text with {field} for a field's text and {topic} for the input topic (braces, not ${...}, which ctl apply fills from the environment)." importance:"high"`
	DefaultTopic string `json:"default.topic" doc:"Topic of a record whose field is null or missing, or whose topic would not be a legal Kafka topic name; empty refuses such records."`
}

// routePart is literal text, or a field (or the input topic) to substitute.
type routePart struct {
	text  string
	field string
	input bool
}

type routeStep struct {
	parts    []routePart
	fallback string
	buf      []byte
}

func buildRoute(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[routeConfig](cfg)
	if err != nil {
		return nil, err
	}
	parts, err := parseTemplate(c.Topic)
	if err != nil {
		return nil, &sdk.KeyError{Key: "topic", Err: err}
	}
	for _, p := range parts {
		if p.field == "" && !topicChars(p.text) {
			return nil, &sdk.KeyError{Key: "topic", Err: fmt.Errorf("%q cannot be part of a topic name (letters, digits, . _ -)", p.text)}
		}
	}
	fallback := strings.TrimSpace(c.DefaultTopic)
	if fallback != "" && !legalTopic(fallback) {
		return nil, &sdk.KeyError{Key: "default.topic", Err: fmt.Errorf("%q is not a legal topic name", fallback)}
	}
	return &routeStep{parts: parts, fallback: fallback}, nil
}

func parseTemplate(t string) ([]routePart, error) {
	var parts []routePart
	for t != "" {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			parts = append(parts, routePart{text: t})
			break
		}
		if i > 0 {
			parts = append(parts, routePart{text: t[:i]})
		}
		end := strings.IndexByte(t[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed { in %q", t)
		}
		name := strings.TrimSpace(t[i+1 : i+end])
		if name == "" {
			return nil, errors.New("empty {} in the template")
		}
		parts = append(parts, routePart{field: name, input: name == "topic"})
		t = t[i+end+1:]
	}
	return parts, nil
}

func (s *routeStep) apply(c *cursor) error {
	s.buf = s.buf[:0]
	for _, p := range s.parts {
		switch {
		case p.field == "":
			s.buf = append(s.buf, p.text...)
		case p.input:
			s.buf = append(s.buf, c.inputTopic...)
		default:
			row, err := c.fields()
			if err != nil {
				return err
			}
			v, _ := row.Get(p.field)
			if v.IsNull() {
				return s.fallBack(c, fmt.Errorf("field %s is null or missing", p.field))
			}
			s.buf = v.AppendText(s.buf)
		}
	}
	if !legalTopic(string(s.buf)) {
		return s.fallBack(c, fmt.Errorf("%q is not a legal topic name", s.buf))
	}
	c.rec.Topic = string(s.buf)
	return nil
}

func (s *routeStep) fallBack(c *cursor, why error) error {
	if s.fallback == "" {
		return why
	}
	c.rec.Topic = s.fallback
	return nil
}

// legalTopic is Kafka's rule for topic names.
func legalTopic(t string) bool {
	return t != "" && len(t) <= 249 && t != "." && t != ".." && topicChars(t)
}

// topicChars reports whether t holds only what topic names may hold.
func topicChars(t string) bool {
	for i := 0; i < len(t); i++ {
		b := t[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}
