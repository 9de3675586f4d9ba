package expr

import (
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// The seed's classification of classroom signals (DESIGN.md §10, job 1), as
// a rule table in config would hold it.
const ruleMatchWrong = "msgId = '305' AND msgType = '116' AND role = '2' AND targetId = 'match' AND targetType = 'template' AND action = 'match' AND subAction = 'drop:wrong'"

var seedRules = []struct{ event, src string }{
	{"STUDENT_MOVE_PICTURE", "msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'move'"},
	{"STUDENT_HOVER_PICTURE", "msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'mouse' AND subAction = 'over'"},
	{"STUDENT_LINE_DRAW", "msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'add'"},
	{"STUDENT_AUDIO_PLAY", "msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'template' AND action = 'audio' AND subAction = 'start'"},
	{"STUDENT_AUDIO_PAUSE", "msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'template' AND action = 'audio' AND subAction = 'pause'"},
	{"STUDENT_MATCH_WRONG", ruleMatchWrong},
	{"STUDENT_MATCH_CORRECT", "msgId = '305' AND msgType = '116' AND role = '2' AND targetId = 'match' AND targetType = 'template' AND action = 'match' AND subAction = 'drop:correct'"},
}

// signal builds a signal row: the 14 fields of signalRow with the message
// data given, the numbers as ints or as strings.
func signal(numbersAsStrings bool, msgID, msgType, role int64, targetID, targetType, action, subAction string) *value.Row {
	r := signalRow(numbersAsStrings, subAction)
	num := func(i int64) value.Value {
		if numbersAsStrings {
			return value.OfString(value.OfInt(i).Text())
		}
		return value.OfInt(i)
	}
	r.Set("msgId", num(msgID))
	r.Set("msgType", num(msgType))
	r.Set("role", num(role))
	r.Set("targetId", value.OfString(targetID))
	r.Set("targetType", value.OfString(targetType))
	r.Set("action", value.OfString(action))
	return r
}

func classify(t *testing.T, rules []*Expr, r *value.Row) []string {
	t.Helper()
	var got []string
	for i, e := range rules {
		if e.Eval(r) {
			got = append(got, seedRules[i].event)
		}
	}
	return got
}

func TestSeedRules(t *testing.T) {
	rules := make([]*Expr, len(seedRules))
	for i, rule := range seedRules {
		rules[i] = MustParse(rule.src)
	}
	for _, asStrings := range []bool{false, true} {
		cases := []struct {
			name string
			row  *value.Row
			want string // "" for no event
		}{
			{"move", signal(asStrings, 305, 116, 2, "pic1", "shape", "move", ""), "STUDENT_MOVE_PICTURE"},
			{"hover", signal(asStrings, 305, 116, 2, "pic1", "shape", "mouse", "over"), "STUDENT_HOVER_PICTURE"},
			{"mouse out", signal(asStrings, 305, 116, 2, "pic1", "shape", "mouse", "out"), ""},
			{"line", signal(asStrings, 305, 116, 2, "line1", "shape", "add", "pen"), "STUDENT_LINE_DRAW"},
			{"audio play", signal(asStrings, 305, 116, 2, "a1", "template", "audio", "start"), "STUDENT_AUDIO_PLAY"},
			{"audio pause", signal(asStrings, 305, 116, 2, "a1", "template", "audio", "pause"), "STUDENT_AUDIO_PAUSE"},
			{"audio on a shape", signal(asStrings, 305, 116, 2, "a1", "shape", "audio", "start"), ""},
			{"match wrong", signal(asStrings, 305, 116, 2, "match", "template", "match", "drop:wrong"), "STUDENT_MATCH_WRONG"},
			{"match correct", signal(asStrings, 305, 116, 2, "match", "template", "match", "drop:correct"), "STUDENT_MATCH_CORRECT"},
			{"match other target", signal(asStrings, 305, 116, 2, "quiz", "template", "match", "drop:wrong"), ""},
			{"teacher", signal(asStrings, 305, 116, 1, "match", "template", "match", "drop:wrong"), ""},
			{"other message", signal(asStrings, 306, 116, 2, "pic1", "shape", "move", ""), ""},
			{"other type", signal(asStrings, 305, 117, 2, "pic1", "shape", "move", ""), ""},
			{"case matters", signal(asStrings, 305, 116, 2, "pic1", "Shape", "move", ""), ""},
		}
		for _, tc := range cases {
			name := tc.name + "/ints"
			if asStrings {
				name = tc.name + "/strings"
			}
			t.Run(name, func(t *testing.T) {
				got := classify(t, rules, tc.row)
				switch {
				case tc.want == "" && len(got) != 0:
					t.Errorf("classified as %v, want no event", got)
				case tc.want != "" && (len(got) != 1 || got[0] != tc.want):
					t.Errorf("classified as %v, want [%s]", got, tc.want)
				}
			})
		}
	}
}

// TestSeedRulesLooseValues pins the cases where the loose comparison
// decides: numbers of other kinds, numeric strings that are not the same
// text, null and missing fields.
func TestSeedRulesLooseValues(t *testing.T) {
	e := MustParse(ruleMatchWrong)
	for _, tc := range []struct {
		name string
		v    value.Value
		want bool
	}{
		{"int", value.OfInt(305), true},
		{"string", value.OfString("305"), true},
		{"float", value.OfFloat(305), true},
		{"number 305.0", value.OfNumber("305.0"), true},
		{"number 3.05e2", value.OfNumber("3.05e2"), true},
		{"int 306", value.OfInt(306), false},
		// A string is compared with a string as text, as in SQL.
		{"string 305.0", value.OfString("305.0"), false},
		{"string with blank", value.OfString(" 305"), false},
		{"null", value.Value{}, false},
		{"boolean", value.OfBool(true), false},
		{"json array", value.OfJSON("[305]"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := signal(false, 305, 116, 2, "match", "template", "match", "drop:wrong")
			r.Set("msgId", tc.v)
			if got := e.Eval(r); got != tc.want {
				t.Errorf("msgId %s %s: Eval = %v, want %v", tc.v.Kind(), tc.v.Text(), got, tc.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		r := signal(false, 305, 116, 2, "match", "template", "match", "drop:wrong")
		r.Delete("msgId")
		if e.Eval(r) {
			t.Error("matched a row without msgId")
		}
	})
}
