package sdk

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// rule checks a present, parsed value. Its error is the message users see
// after the key name; it never quotes a scalar value, which may be a password.
type rule func(v reflect.Value) error

// parseRules reads a validate tag: comma-separated rules, the last of which
// may be regexp=…, which takes the rest of the tag so the expression may
// hold commas.
func (f *field) parseRules(tag string) error {
	for tag != "" {
		part, rest, _ := strings.Cut(tag, ",")
		if t := strings.TrimLeft(tag, " "); strings.HasPrefix(t, "regexp=") {
			part, rest = t, ""
		}
		tag = rest
		name, arg, _ := strings.Cut(strings.TrimLeft(part, " "), "=")
		name = strings.TrimSpace(name)
		var r rule
		var err error
		switch name {
		case "":
			continue
		case "required":
			f.required = true
			continue
		case "gt", "gte", "lt", "lte":
			r, err = f.compareRule(name, arg)
		case "min", "max":
			r, err = f.lengthRule(name, arg)
		case "oneof":
			r, err = f.oneOfRule(arg)
		case "regexp":
			r, err = f.regexpRule(arg)
		default:
			err = fmt.Errorf("unknown validate rule %q", name)
		}
		if err != nil {
			return err
		}
		f.rules = append(f.rules, r)
	}
	return nil
}

var comparisons = map[string]struct {
	symbol string
	ok     func(c int) bool
}{
	"gt":  {">", func(c int) bool { return c > 0 }},
	"gte": {">=", func(c int) bool { return c >= 0 }},
	"lt":  {"<", func(c int) bool { return c < 0 }},
	"lte": {"<=", func(c int) bool { return c <= 0 }},
}

// compareRule bounds a number or a duration. The limit is parsed like the
// field's values, so a duration's limit may read gte=1000 or gte=1s.
func (f *field) compareRule(op, arg string) (rule, error) {
	if f.kind != kindInt && f.kind != kindFloat && f.kind != kindDuration {
		return nil, fmt.Errorf("rule %s needs a number or duration field", op)
	}
	arg = strings.TrimSpace(arg)
	limit := reflect.New(f.typ).Elem()
	if arg == "" {
		return nil, fmt.Errorf("rule %s needs a value", op)
	}
	if err := f.parse(arg, limit); err != nil {
		return nil, fmt.Errorf("rule %s=%s: limit %w", op, arg, err)
	}
	c := comparisons[op]
	return func(v reflect.Value) error {
		var n int
		if v.CanInt() {
			n = cmp.Compare(v.Int(), limit.Int())
		} else {
			n = cmp.Compare(v.Float(), limit.Float())
		}
		if !c.ok(n) {
			return fmt.Errorf("must be %s %s", c.symbol, arg)
		}
		return nil
	}, nil
}

// lengthRule bounds the length of a string (in characters) or a list. On a
// number it bounds the value, as go-playground/validator's min and max do.
func (f *field) lengthRule(op, arg string) (rule, error) {
	switch f.kind {
	case kindInt, kindFloat, kindDuration:
		return f.compareRule(map[string]string{"min": "gte", "max": "lte"}[op], arg)
	case kindString, kindList:
	default:
		return nil, fmt.Errorf("rule %s needs a string, list or number field", op)
	}
	limit, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || limit < 0 {
		return nil, fmt.Errorf("rule %s=%s: want a length", op, arg)
	}
	bound, nouns := "at least", [2]string{"character", "characters"}
	if op == "max" {
		bound = "at most"
	}
	if f.kind == kindList {
		nouns = [2]string{"entry", "entries"}
	}
	noun := nouns[1]
	if limit == 1 {
		noun = nouns[0]
	}
	msg := fmt.Sprintf("must have %s %d %s", bound, limit, noun)
	return func(v reflect.Value) error {
		n := v.Len()
		if f.kind == kindString {
			n = utf8.RuneCountInString(v.String())
		}
		if (op == "min" && n < limit) || (op == "max" && n > limit) {
			return errors.New(msg)
		}
		return nil
	}, nil
}

// oneOfRule allows a closed set of values, listed in the spec's Enum. On a
// list every entry must be one of them.
func (f *field) oneOfRule(arg string) (rule, error) {
	allowed := strings.Fields(arg)
	if len(allowed) == 0 {
		return nil, errors.New("rule oneof needs values")
	}
	if f.kind != kindString && f.kind != kindList {
		return nil, errors.New("rule oneof needs a string or list field")
	}
	f.key.Enum = allowed
	set := fmt.Sprintf("[%s]", strings.Join(allowed, " "))
	return f.eachString("must be one of "+set, func(s string) bool {
		return slices.Contains(allowed, s)
	}), nil
}

// regexpRule requires a match anywhere in the value; anchor the expression
// with ^ and $ to match all of it.
func (f *field) regexpRule(arg string) (rule, error) {
	if f.kind != kindString && f.kind != kindList {
		return nil, errors.New("rule regexp needs a string or list field")
	}
	re, err := regexp.Compile(arg)
	if err != nil {
		return nil, fmt.Errorf("rule regexp: %w", err)
	}
	return f.eachString("must match "+arg, re.MatchString), nil
}

// eachString applies ok to a string value or to each entry of a list, naming
// the bad entry, since a list may be long.
func (f *field) eachString(msg string, ok func(string) bool) rule {
	return func(v reflect.Value) error {
		if f.kind == kindString {
			if !ok(v.String()) {
				return errors.New(msg)
			}
			return nil
		}
		for i := range v.Len() {
			if s := v.Index(i).String(); !ok(s) {
				return fmt.Errorf("entry %q %s", s, msg)
			}
		}
		return nil
	}
}
