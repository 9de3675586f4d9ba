package expr

import (
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// signalRules are the signal ETL's rule table.
var signalRules = []string{
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'move'",
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'mouse' AND subAction = 'over'",
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'add'",
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'template' AND action = 'audio' AND subAction = 'start'",
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'template' AND action = 'audio' AND subAction = 'pause'",
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetId = 'match' AND targetType = 'template' AND action = 'match' AND subAction = 'drop:wrong'",
	"msgId = '305' AND msgType = '116' AND role = '2' AND targetId = 'match' AND targetType = 'template' AND action = 'match' AND subAction = 'drop:correct'",
}

func TestTableIndexesTheSignalRulesByAction(t *testing.T) {
	rules := make([]*Expr, len(signalRules))
	for i, src := range signalRules {
		rules[i] = MustParse(src)
	}
	tab := NewTable(rules)
	if tab.key == nil || tab.key.name != "action" || len(tab.byText["match"]) != 2 || len(tab.others) != 0 {
		t.Fatalf("key %v, by text %v, others %v: want the rules indexed by action", tab.key, tab.byText, tab.others)
	}
	for i, sub := range []string{"drop:wrong", "drop:correct", "x"} {
		if got, want := tab.Match(signalRow(i == 0, sub)), []int{5, 6, -1}[i]; got != want {
			t.Errorf("subAction %s: rule %d, want %d", sub, got, want)
		}
	}
}

// FuzzTable holds Table.Match to trying the rules one by one: the first
// that holds, or -1. The rules are the lines of src that parse.
func FuzzTable(f *testing.F) {
	signal := strings.Join(signalRules, "\n")
	for i := range 8 {
		f.Add(signal, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, byte(i * 5)})
	}
	f.Add("a = 'x' and b = 1\nc = 2\na = 'y'\n'x' = a and c = 3\na = 'x'\nb = 1 or a = 'z'", []byte{22, 0, 5, 7, 1, 30, 2})
	f.Add("a = 'x'\na = 1\na = '1'\na = 'x' and a = 'y'\na != 'x'\nnot a = 'z'", []byte{2, 29, 3, 5, 8})
	f.Fuzz(func(t *testing.T, src string, data []byte) {
		if len(src) > 4096 {
			return // a table of a few rules says it all, and quickly, which minimizing needs
		}
		var rules []*Expr
		var texts []string
		for line := range strings.SplitSeq(src, "\n") {
			if e, err := Parse(line); err == nil {
				rules = append(rules, e)
				texts = append(texts, "("+e.String()+")")
			}
		}
		if len(rules) == 0 {
			return
		}
		all, err := Parse(strings.Join(texts, " or "))
		if err != nil {
			return // too long together
		}
		tab := NewTable(rules)
		r := fuzzRow(all, data)
		first := func(r *value.Row) int {
			for i, e := range rules {
				if e.Eval(r) {
					return i
				}
			}
			return -1
		}
		reversed := &value.Row{Fields: make([]value.Field, len(r.Fields))}
		for i, fl := range r.Fields {
			reversed.Fields[len(r.Fields)-1-i] = fl
		}
		for _, row := range []*value.Row{r, reversed, r, {}} {
			if got, want := tab.Match(row), first(row); got != want {
				t.Fatalf("Match = %d, the first rule that holds is %d\nrules %q\nrow %s", got, want, src, describeRow(row))
			}
		}
	})
}
