package smt

import (
	"strings"
	"unicode/utf8"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

const maskSummary = "Hides field values: a replacement text, or the type's empty value (\"\", 0, false, null for objects), optionally keeping the last characters of strings (a phone number's last four digits)."

type maskConfig struct {
	Fields      []string `json:"fields" validate:"required,min=1" doc:"Fields to mask." importance:"high"`
	Replacement string   `json:"replacement" doc:"Text that replaces every masked value; empty masks with the value type's empty value."`
	ShowLast    int      `json:"show.last" default:"0" validate:"gte=0" doc:"Keep this many trailing characters of a string value, masking the rest with *."`
}

type maskStep struct {
	fields      []string
	replacement string
	showLast    int
}

func buildMask(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[maskConfig](cfg)
	if err != nil {
		return nil, err
	}
	return &maskStep{fields: c.Fields, replacement: c.Replacement, showLast: c.ShowLast}, nil
}

func (s *maskStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	for _, name := range s.fields {
		i := row.Index(name)
		if i < 0 || row.Fields[i].Value.IsNull() {
			continue
		}
		row.Fields[i].Value = s.mask(row.Fields[i].Value)
		c.changed()
	}
	return nil
}

func (s *maskStep) mask(v value.Value) value.Value {
	if s.showLast > 0 {
		if text, ok := v.Str(); ok {
			n := utf8.RuneCountInString(text)
			if n <= s.showLast {
				return value.OfString(strings.Repeat("*", n))
			}
			cut := len(text)
			for k := 0; k < s.showLast; k++ {
				_, size := utf8.DecodeLastRuneInString(text[:cut])
				cut -= size
			}
			return value.OfString(strings.Repeat("*", n-s.showLast) + text[cut:])
		}
	}
	if s.replacement != "" {
		return value.OfString(s.replacement)
	}
	switch v.Kind() {
	case value.String:
		return value.OfString("")
	case value.Int, value.Float, value.Number:
		return value.OfInt(0)
	case value.Bool:
		return value.OfBool(false)
	}
	return value.Value{}
}
