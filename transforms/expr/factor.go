package expr

// Factor takes the conditions common to every rule of a table out of them:
// the conjuncts (the terms of a top-level and) that every rule has, by their
// canonical text, and what is left of each rule. A rule is true exactly when
// common and its rest are both true, so a classifier tests the shared terms
// once per record instead of once per rule: the seven rules of the signal
// ETL all begin msgId = '305' AND msgType = '116' AND role = '2'.
//
// common is nil when the rules share nothing (or there is fewer than two);
// a rest is nil when common is all of its rule, which is then always true
// once common holds. The rules themselves are not changed.
func Factor(rules []*Expr) (common *Expr, rest []*Expr) {
	rest = append([]*Expr(nil), rules...)
	if len(rules) < 2 {
		return nil, rest
	}
	shared := map[string]int{}
	for i, r := range rules {
		seen := map[string]bool{}
		for _, t := range conjuncts(r.root) {
			text := string(t.appendText(nil))
			if !seen[text] && shared[text] == i {
				shared[text] = i + 1
			}
			seen[text] = true
		}
	}
	var commonTerms []*node
	for _, t := range conjuncts(rules[0].root) {
		text := string(t.appendText(nil))
		if shared[text] == len(rules) {
			commonTerms = append(commonTerms, t)
			shared[text] = -1 // once, even when a rule repeats it
		}
	}
	if len(commonTerms) == 0 {
		return nil, rest
	}
	isCommon := map[string]bool{}
	for _, t := range commonTerms {
		isCommon[string(t.appendText(nil))] = true
	}
	common = build(commonTerms)
	for i, r := range rules {
		var left []*node
		for _, t := range conjuncts(r.root) {
			if !isCommon[string(t.appendText(nil))] {
				left = append(left, t)
			}
		}
		rest[i] = nil
		if len(left) > 0 {
			rest[i] = build(left)
		}
	}
	return common, rest
}

// conjuncts returns the terms of a top-level and, or the node itself.
func conjuncts(n *node) []*node {
	if n.kind == nodeAnd {
		return n.kids
	}
	return []*node{n}
}

// build compiles the and of terms into an Expr.
func build(terms []*node) *Expr {
	root := terms[0]
	if len(terms) > 1 {
		root = &node{kind: nodeAnd, kids: terms}
	}
	c := &compiler{fields: make(map[string]*field)}
	return &Expr{root: root, cond: c.compile(root)}
}
