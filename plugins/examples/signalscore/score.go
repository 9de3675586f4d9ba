package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the plugin's config; the worker shows its keys at
// GET /connector-plugins/example.signalscore/config.
type Config struct {
	Points        []string `json:"points" validate:"required,regexp=^[A-Za-z0-9_.-]+:-?[0-9]+(\\.[0-9]+)?$" importance:"high" group:"Scoring" doc:"Points per event as EVENT:points pairs, comma-separated, e.g. STUDENT_MATCH_CORRECT:10,STUDENT_MATCH_WRONG:-2."`
	DefaultPoints float64  `json:"default.points" default:"0" group:"Scoring" doc:"Points of an event the table does not list, and of a record without an event."`
	EventField    string   `json:"event.field" default:"event" validate:"min=1" group:"Scoring" doc:"Field holding the event name."`
	ScoreField    string   `json:"score.field" default:"score" validate:"min=1" group:"Scoring" doc:"Field the score is written to; an existing one is replaced."`
}

// Plugin registers the transform.
var Plugin = sdk.Plugin{
	Class:   "example.signalscore",
	Type:    sdk.TypeTransform,
	Version: "1.0.0",
	Summary: "Adds a score from a table of points per event to classroom signals (dwd.student_signal).",
	Config:  &Config{},
	// The spec checks each pair's shape; a table must also name each event once.
	ValidateConfig: func(cfg sdk.Config) map[string][]string {
		var c Config
		if sdk.Decode(cfg, &c) != nil {
			return nil // the spec's own messages say what is wrong
		}
		if _, err := pointsTable(c.Points); err != nil {
			return map[string][]string{"points": {err.Error()}}
		}
		return nil
	},
	NewTransform: func() sdk.Transform { return &scorer{} },
}

// Events counted (sdk.Counted), exported as tributary_task_events_total.
const (
	eventListed   = "listed_event"   // the table has the record's event
	eventUnlisted = "unlisted_event" // scored with default.points
	eventMissing  = "missing_event"  // no event field, or not a string
	eventRejected = "not_object"     // handed back with Fault set
)

var errNotObject = errors.New("value is not a JSON object")

type scorer struct {
	sdk.UnimplementedTransform
	cfg Config
	// points holds each event's score as JSON number text, formatted once.
	points map[string][]byte
	def    []byte
	// field is `,"score":`, what an object without a score gets before its
	// closing brace.
	field  []byte
	counts map[string]int64
}

func (s *scorer) Open(_ context.Context, cfg sdk.Config) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	table, err := pointsTable(s.cfg.Points)
	if err != nil {
		return err
	}
	s.points = map[string][]byte{}
	for event, p := range table {
		s.points[event] = number(p)
	}
	s.def = number(s.cfg.DefaultPoints)
	s.field = append(sdk.AppendJSONString([]byte{','}, s.cfg.ScoreField), ':')
	s.counts = map[string]int64{}
	return nil
}

// pointsTable parses EVENT:points pairs; an event listed twice is an error,
// since one of its scores would be silently lost.
func pointsTable(pairs []string) (map[string]float64, error) {
	table := make(map[string]float64, len(pairs))
	for _, pair := range pairs {
		event, text, ok := strings.Cut(pair, ":")
		if !ok {
			return nil, fmt.Errorf("entry %q is not EVENT:points", pair)
		}
		p, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("entry %q: points are not a number", pair)
		}
		if _, dup := table[event]; dup {
			return nil, fmt.Errorf("event %s is listed twice", event)
		}
		table[event] = p
	}
	return table, nil
}

func number(f float64) []byte { return strconv.AppendFloat(nil, f, 'f', -1, 64) }

func (s *scorer) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	for i := range recs {
		r := &recs[i]
		if r.Value == nil {
			continue // a tombstone deletes a key downstream: nothing to score
		}
		scored, event, err := s.score(r.Value)
		if err != nil {
			// The input as it came, so its dead letter says where it was.
			r.Fault = err
			s.counts[eventRejected]++
			continue
		}
		s.counts[event]++
		r.Value = scored
		r.Topic = "" // to the connector's output topic
	}
	return recs, nil
}

func (s *scorer) Counts() map[string]int64 { return s.counts }

// score returns value with the score field set, and which count it falls
// under. It reads the object's top level only, and rewrites nothing but the
// score: field order, spacing and number formats are the producer's.
func (s *scorer) score(value []byte) ([]byte, string, error) {
	dec := json.NewDecoder(bytes.NewReader(value))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, "", errNotObject
	}
	event, counted := "", eventMissing
	scoreAt, scoreEnd := -1, -1
	fields := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, "", errNotObject
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, "", errNotObject
		}
		fields++
		end := int(dec.InputOffset())
		switch key {
		case s.cfg.EventField:
			// The last occurrence counts, as for any JSON reader.
			event, counted = "", eventMissing
			if json.Unmarshal(raw, &event) == nil {
				counted = eventUnlisted
			}
		case s.cfg.ScoreField:
			scoreAt, scoreEnd = end-len(raw), end
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, "", errNotObject
	}
	closing := int(dec.InputOffset()) - 1
	if len(bytes.TrimSpace(value[closing+1:])) > 0 {
		return nil, "", errNotObject // {...} followed by more
	}
	points := s.def
	if p, ok := s.points[event]; ok && counted == eventUnlisted {
		points, counted = p, eventListed
	}
	out := make([]byte, 0, len(value)+len(s.field)+len(points))
	if scoreAt >= 0 {
		out = append(out, value[:scoreAt]...)
		out = append(out, points...)
		return append(out, value[scoreEnd:]...), counted, nil
	}
	out = append(out, value[:closing]...)
	if fields == 0 {
		out = append(out, s.field[1:]...) // no comma in an empty object
	} else {
		out = append(out, s.field...)
	}
	out = append(out, points...)
	return append(out, value[closing:]...), counted, nil
}
