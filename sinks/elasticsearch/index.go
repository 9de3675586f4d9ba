package elasticsearch

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// indexPattern is a parsed index setting: literal text, ${topic} and
// ${date:FORMAT}.
type indexPattern struct {
	parts   []indexPart
	hasDate bool
}

type indexPart struct {
	lit   string
	topic bool
	date  []dateToken // set for ${date:…}
}

// dateToken is one element of a ${date:…} format: a field (yyyy, yy, MM,
// dd, HH) or literal text.
type dateToken struct {
	field string
	lit   string
}

// badIndexChars are the characters Elasticsearch refuses in index names.
const badIndexChars = "\\/*?\"<>| ,#:"

// parseIndexPattern parses the index setting. The literal text must already
// be a valid part of an index name, so a mistake shows at Open rather than
// as every document of the topic rejected.
func parseIndexPattern(src string) (*indexPattern, error) {
	p := &indexPattern{}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "${")
		if i < 0 {
			p.parts = append(p.parts, indexPart{lit: rest})
			break
		}
		if i > 0 {
			p.parts = append(p.parts, indexPart{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed ${ in %q", src)
		}
		name := rest[i+2 : i+j]
		rest = rest[i+j+1:]
		switch {
		case name == "topic":
			p.parts = append(p.parts, indexPart{topic: true})
		case name == "date" || strings.HasPrefix(name, "date:"):
			format, _ := strings.CutPrefix(name, "date")
			format, _ = strings.CutPrefix(format, ":")
			toks, err := parseDateFormat(format)
			if err != nil {
				return nil, err
			}
			p.parts = append(p.parts, indexPart{date: toks})
			p.hasDate = true
		default:
			return nil, fmt.Errorf("unknown placeholder ${%s}: use ${topic} or ${date:yyyy.MM.dd}", name)
		}
	}
	if len(p.parts) == 0 {
		return nil, fmt.Errorf("empty index name")
	}
	for _, part := range p.parts {
		if part.date == nil && !part.topic {
			if err := checkIndexText(part.lit); err != nil {
				return nil, err
			}
		}
	}
	if first := p.parts[0]; !first.topic && first.date == nil && strings.IndexAny(first.lit[:1], "-_+") == 0 {
		return nil, fmt.Errorf("an index name must not start with -, _ or +")
	}
	return p, nil
}

func checkIndexText(s string) error {
	if s != strings.ToLower(s) {
		return fmt.Errorf("%q has upper-case letters; index names are lower case", s)
	}
	if i := strings.IndexAny(s, badIndexChars); i >= 0 {
		return fmt.Errorf("%q holds %q, which index names cannot", s, s[i:i+1])
	}
	return nil
}

// parseDateFormat reads the Java-style letters Elasticsearch users write in
// index names. Other letters are refused rather than copied: YYYY (week
// year) or mm (minutes) for MM are mistakes that would scatter documents.
func parseDateFormat(format string) ([]dateToken, error) {
	if format == "" {
		return nil, fmt.Errorf("${date} needs a format, e.g. ${date:yyyy.MM.dd}")
	}
	var toks []dateToken
	for i := 0; i < len(format); {
		c := format[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			j := i
			for j < len(format) && !(format[j] >= 'a' && format[j] <= 'z' || format[j] >= 'A' && format[j] <= 'Z') {
				j++
			}
			lit := format[i:j]
			if err := checkIndexText(lit); err != nil {
				return nil, fmt.Errorf("${date:%s}: %w", format, err)
			}
			toks = append(toks, dateToken{lit: lit})
			i = j
			continue
		}
		j := i
		for j < len(format) && format[j] == c {
			j++
		}
		field := format[i:j]
		switch field {
		case "yyyy", "yy", "MM", "dd", "HH":
		default:
			return nil, fmt.Errorf("${date:%s}: %q is not supported; use yyyy, yy, MM, dd and HH", format, field)
		}
		toks = append(toks, dateToken{field: field})
		i = j
	}
	return toks, nil
}

// render gives the index of a record: topic in lower case (index names
// are), t already in the configured zone.
func (p *indexPattern) render(topic string, t time.Time) string {
	var b strings.Builder
	for _, part := range p.parts {
		switch {
		case part.topic:
			b.WriteString(strings.ToLower(topic))
		case part.date != nil:
			for _, tok := range part.date {
				switch tok.field {
				case "":
					b.WriteString(tok.lit)
				case "yyyy":
					fmt.Fprintf(&b, "%04d", t.Year())
				case "yy":
					fmt.Fprintf(&b, "%02d", t.Year()%100)
				case "MM":
					fmt.Fprintf(&b, "%02d", int(t.Month()))
				case "dd":
					fmt.Fprintf(&b, "%02d", t.Day())
				case "HH":
					fmt.Fprintf(&b, "%02d", t.Hour())
				}
			}
		default:
			b.WriteString(part.lit)
		}
	}
	return b.String()
}

// String shows the pattern as configured, for messages.
func (p *indexPattern) String() string {
	var b strings.Builder
	for _, part := range p.parts {
		switch {
		case part.topic:
			b.WriteString("${topic}")
		case part.date != nil:
			b.WriteString("${date:")
			for _, tok := range part.date {
				b.WriteString(tok.field + tok.lit)
			}
			b.WriteString("}")
		default:
			b.WriteString(part.lit)
		}
	}
	return b.String()
}

// textLayouts are the forms of a text date index.date.field may hold,
// tried in order; those without an offset are wall time in the zone.
var textLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// dateOf reads a date field's value: an epoch number in unit (as JSON
// number or text), or a text date.
func dateOf(v any, unit string, loc *time.Location) (time.Time, error) {
	var text string
	switch x := v.(type) {
	case json.Number:
		return epoch(string(x), unit)
	case string:
		text = strings.TrimSpace(x)
	case nil:
		return time.Time{}, fmt.Errorf("is null")
	case float64:
		return epoch(strconv.FormatFloat(x, 'f', -1, 64), unit)
	default:
		return time.Time{}, fmt.Errorf("is a %s, not a date", kindOf(v))
	}
	if _, err := strconv.ParseFloat(text, 64); err == nil {
		return epoch(text, unit)
	}
	for _, layout := range textLayouts {
		if t, err := time.ParseInLocation(layout, text, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-21T06:29:00Z, 2026-11-21 06:29:00, 2026-11-21 or an epoch number)", text)
}

func epoch(text, unit string) (time.Time, error) {
	per := map[string]float64{"s": 1e9, "ms": 1e6, "us": 1e3, "days": 86400e9}[unit]
	var nanos float64
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		nanos = float64(n) * per
		// Exact for integers in range: float64 only for the range check.
		if math.Abs(nanos) < 1<<62 {
			switch unit {
			case "s":
				return time.Unix(n, 0), nil
			case "ms":
				return time.UnixMilli(n), nil
			case "us":
				return time.UnixMicro(n), nil
			case "days":
				return time.Unix(n*86400, 0), nil
			}
		}
	} else {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a number", text)
		}
		nanos = f * per
	}
	if math.IsNaN(nanos) || math.Abs(nanos) >= 1<<62 {
		return time.Time{}, fmt.Errorf("%s %s is out of range; check index.date.unit", text, unit)
	}
	return time.Unix(0, int64(nanos)), nil
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}
