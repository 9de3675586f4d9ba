package expr

import "github.com/tributarydata/tributary/transforms/value"

// Table is a rule table: conditions tried in order, the first that holds
// naming the record, as a classify step reads its rules. Match gives what
// trying each rule in turn would, for less: the terms every rule has are
// tested once (Factor), and when the rules test one field against texts,
// as the signal ETL's do (action = 'move', action = 'audio', ...), the
// record's text of that field picks the rules that can hold, so a record
// of the last rule is not tried against all the others first.
//
// Like Expr, a Table is safe for concurrent use.
type Table struct {
	common *Expr
	rules  []*Expr // each rule's own terms; nil: none
	// key is the field the rules are indexed by, nil when they are not.
	// A rule with the term key = 'text' can only hold for a record whose
	// key is a string when that string is text, exactly (a string equals
	// a string literal only when they are the same text): byText lists,
	// by text, the rules that can, in order; the rules without such a
	// term are in every list, and others lists them alone, for texts no
	// rule names. A key that is not a string (305 equals '305') or is
	// missing goes through every rule.
	key    *field
	byText map[string][]int
	others []int
}

// NewTable compiles rules, in the order they are tried.
func NewTable(rules []*Expr) *Table {
	t := &Table{}
	t.common, t.rules = Factor(rules)
	t.index()
	return t
}

// index picks the field that the rules compare to the most texts, and
// lists the rules by that text, if there are two texts at least.
func (t *Table) index() {
	texts := make([]map[string]string, len(t.rules)) // by rule: field → the text it must be
	distinct := map[string]map[string]bool{}         // by field: the texts rules want
	for i, r := range t.rules {
		if r == nil {
			continue
		}
		texts[i] = map[string]string{}
		for _, n := range conjuncts(r.root) {
			name, text, ok := textTerm(n)
			if _, seen := texts[i][name]; !ok || seen {
				continue
			}
			texts[i][name] = text
			if distinct[name] == nil {
				distinct[name] = map[string]bool{}
			}
			distinct[name][text] = true
		}
	}
	best := ""
	for name, set := range distinct {
		if len(set) > len(distinct[best]) || (len(set) == len(distinct[best]) && name < best) {
			best = name
		}
	}
	if len(distinct[best]) < 2 {
		return // one text or none: an index would not narrow anything
	}
	t.byText = map[string][]int{}
	for i := range t.rules {
		text, ok := texts[i][best]
		if !ok {
			t.others = append(t.others, i)
			for text, list := range t.byText {
				t.byText[text] = append(list, i)
			}
			continue
		}
		if _, listed := t.byText[text]; !listed {
			t.byText[text] = append([]int(nil), t.others...)
		}
		t.byText[text] = append(t.byText[text], i)
	}
	t.key = &field{name: value.Intern(best)}
}

// textTerm reads a term field = 'text'.
func textTerm(n *node) (name, text string, ok bool) {
	if n.kind != nodeCmp || n.op != opEq || n.left.isField == n.right.isField {
		return "", "", false
	}
	f, lit := n.left, n.right
	if !f.isField {
		f, lit = lit, f
	}
	text, ok = lit.lit.Str()
	return f.field, text, ok
}

// Match returns the position of the first rule that r satisfies, or -1 if
// none does. A nil row has no fields.
func (t *Table) Match(r *value.Row) int {
	if r == nil {
		r = &noFields
	}
	if t.common != nil && !t.common.Eval(r) {
		return -1
	}
	if t.key != nil {
		if text, ok := t.key.get(r).Str(); ok {
			rules, named := t.byText[text]
			if !named {
				rules = t.others
			}
			for _, i := range rules {
				if t.holds(i, r) {
					return i
				}
			}
			return -1
		}
	}
	for i := range t.rules {
		if t.holds(i, r) {
			return i
		}
	}
	return -1
}

func (t *Table) holds(i int, r *value.Row) bool {
	return t.rules[i] == nil || t.rules[i].Eval(r)
}
