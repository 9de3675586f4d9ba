package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// TestFactorKeepsEveryRulesMeaning: for the seed's rule table and a table
// sharing nothing, each rule equals common and its rest on random rows.
func TestFactorKeepsEveryRulesMeaning(t *testing.T) {
	tables := [][]string{
		{
			"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'move'",
			"msgId = '305' AND msgType = '116' AND role = '2' AND targetType = 'shape' AND action = 'mouse' AND subAction = 'over'",
			"role = '2' AND msgId = '305' AND msgType = '116' AND targetType = 'shape' AND action = 'add'",
			"msgId = '305' AND msgType = '116' AND role = '2'",
		},
		{"a = 1", "b = 2 or a = 1"},
		{"a = 1 and (b = 2 or c = 3)", "(b = 2 or c = 3) and a = 1 and a = 1"},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	pick := []value.Value{value.OfString("305"), value.OfInt(116), value.OfString("2"), value.OfInt(2), value.OfString("shape"),
		value.OfString("move"), value.OfString("mouse"), value.OfString("over"), value.OfString("add"), value.OfInt(1), value.OfInt(3), {}}
	names := []string{"msgId", "msgType", "role", "targetType", "action", "subAction", "a", "b", "c"}
	for ti, table := range tables {
		rules := make([]*Expr, len(table))
		for i, src := range table {
			rules[i] = MustParse(src)
		}
		common, rest := Factor(rules)
		if ti == 0 && (common == nil || common.String() != "msgId == '305' and msgType == '116' and role == '2'" || rest[3] != nil) {
			t.Fatalf("seed rules: common %v, rest of the last %v", common, rest[3])
		}
		if ti == 1 && common != nil {
			t.Fatalf("rules sharing nothing got common %s", common)
		}
		for range 20000 {
			var row value.Row
			for _, n := range names {
				if rng.IntN(4) > 0 {
					row.Append(n, pick[rng.IntN(len(pick))])
				}
			}
			for i, r := range rules {
				want := r.Eval(&row)
				got := (common == nil || common.Eval(&row)) && (rest[i] == nil || rest[i].Eval(&row))
				if got != want {
					t.Fatalf("table %d rule %d on %s: factored %v, whole %v (common %v, rest %v)", ti, i, row.AppendJSON(nil), got, want, common, rest[i])
				}
			}
		}
	}
}
