package expr

import (
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// signalRow is a classified classroom signal as the flatten step leaves it:
// 14 fields, the numbers either ints or (as the app sometimes sends them)
// strings.
func signalRow(numbersAsStrings bool, subAction string) *value.Row {
	num := func(i int64) value.Value {
		if numbersAsStrings {
			return value.OfString(value.OfInt(i).Text())
		}
		return value.OfInt(i)
	}
	r := &value.Row{}
	r.Append("messageCreateTime", value.OfString("2021-03-01 10:00:00"))
	r.Append("timeStamp", value.OfInt(1614592800000))
	r.Append("messageTimeStamp", value.OfString("2021-03-01 10:00:00.000"))
	r.Append("userId", num(100234))
	r.Append("roomId", num(778899))
	r.Append("role", num(2))
	r.Append("msgId", num(305))
	r.Append("msgType", num(116))
	r.Append("targetId", value.OfString("match"))
	r.Append("targetType", value.OfString("template"))
	r.Append("action", value.OfString("match"))
	r.Append("subAction", value.OfString(subAction))
	r.Append("pageIndex", num(3))
	r.Append("event", value.OfString(""))
	return r
}

func benchEval(b *testing.B, src string, r *value.Row, want bool) {
	e := MustParse(src)
	if got := e.Eval(r); got != want {
		b.Fatalf("Eval = %v, want %v", got, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		if e.Eval(r) != want {
			b.Fatal("changed")
		}
	}
}

func BenchmarkMatchWrong(b *testing.B) {
	b.Run("ints", func(b *testing.B) { benchEval(b, ruleMatchWrong, signalRow(false, "drop:wrong"), true) })
	b.Run("strings", func(b *testing.B) { benchEval(b, ruleMatchWrong, signalRow(true, "drop:wrong"), true) })
	b.Run("ints/miss-last", func(b *testing.B) { benchEval(b, ruleMatchWrong, signalRow(false, "drop:correct"), false) })
}

// BenchmarkClassify is the classify step's worst case: all seven rules
// against one record, as a first-match table runs them when none matches.
func BenchmarkClassify(b *testing.B) {
	rules := make([]*Expr, len(seedRules))
	for i, rule := range seedRules {
		rules[i] = MustParse(rule.src)
	}
	for _, tc := range []struct {
		name string
		row  *value.Row
	}{
		{"ints", signalRow(false, "drop:none")},
		{"strings", signalRow(true, "drop:none")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range rules {
					if e.Eval(tc.row) {
						b.Fatal("matched")
					}
				}
			}
		})
	}
}

func BenchmarkOperators(b *testing.B) {
	r := signalRow(false, "drop:wrong")
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"msgId > 300 and msgId <= '305'", true},
		{"subAction like 'drop:%'", true},
		{"subAction like '%:w_ong'", true},
		{"subAction matches '^drop:(wrong|correct)$'", true},
		{"action in ('a', 'b', 'c', 'match')", true},
		{"action in ('a0','a1','a2','a3','a4','a5','a6','a7','a8','a9','a10','a11','match')", true},
		{"event is not null and missing is null", true},
		{"not (role = 1 or role = 3)", true},
		{"userId like '1002%'", true},
	} {
		b.Run(tc.src, func(b *testing.B) { benchEval(b, tc.src, r, tc.want) })
	}
}
