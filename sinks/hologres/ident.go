package hologres

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxIdentBytes is the longest identifier PostgreSQL keeps (NAMEDATALEN-1);
// a longer one would be truncated silently and then not be found again.
const maxIdentBytes = 63

// tableName is a table, optionally in a schema, with each part as the
// catalog spells it (already case-folded or unquoted).
type tableName struct {
	Schema string // "" resolves through search_path
	Name   string
}

// String is the name quoted for SQL: "schema"."table".
func (t tableName) String() string {
	if t.Schema == "" {
		return quoteIdent(t.Name)
	}
	return quoteIdent(t.Schema) + "." + quoteIdent(t.Name)
}

// quoteIdent quotes a PostgreSQL identifier, doubling embedded quotes. Every
// identifier the sink writes into SQL goes through here: names come from
// topics, configs and records, never trusted to be plain.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral quotes a string literal (standard_conforming_strings is on
// in every supported server: backslashes are plain characters).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// topicTemplate is table.name.format: text in which ${topic} stands for the
// record's topic.
type topicTemplate struct {
	parts []string // literal text between the ${topic} placeholders
}

const topicPlaceholder = "${topic}"

// parseTemplate checks table.name.format: ${topic} is the only placeholder.
func parseTemplate(format string) (topicTemplate, error) {
	if strings.TrimSpace(format) == "" {
		return topicTemplate{}, errors.New("table.name.format is empty")
	}
	parts := strings.Split(format, topicPlaceholder)
	for _, p := range parts {
		if i := strings.Index(p, "${"); i >= 0 {
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				return topicTemplate{}, fmt.Errorf("table.name.format %q: unterminated ${", format)
			}
			return topicTemplate{}, fmt.Errorf("table.name.format %q: unknown placeholder %s (only ${topic})", format, p[i:i+end+1])
		}
	}
	return topicTemplate{parts: parts}, nil
}

// usesTopic reports whether the template depends on the topic.
func (t topicTemplate) usesTopic() bool { return len(t.parts) > 1 }

// table resolves the template for topic and parses the result.
func (t topicTemplate) table(topic string) (tableName, error) {
	return parseTableName(strings.Join(t.parts, topic))
}

// parseTableName reads "table" or "schema.table" as SQL does: a bare part
// is folded to lower case (ASCII only, as PostgreSQL folds), a
// double-quoted part is kept exactly, "" inside quotes standing for one
// quote. A bare part may hold any character but dots, quotes, spaces and
// control characters, so a topic such as app-events names table
// "app-events" without quoting; a topic with dots (dwd.student_signal)
// names a table in a schema.
func parseTableName(s string) (tableName, error) {
	var parts []string
	rest := s
	for {
		part, next, err := cutIdent(rest)
		if err != nil {
			return tableName{}, fmt.Errorf("table name %q: %w", s, err)
		}
		parts = append(parts, part)
		if next == "" {
			break
		}
		if next[0] != '.' {
			return tableName{}, fmt.Errorf("table name %q: unexpected %q after a quoted name", s, next[:1])
		}
		rest = next[1:]
	}
	switch len(parts) {
	case 1:
		return tableName{Name: parts[0]}, nil
	case 2:
		return tableName{Schema: parts[0], Name: parts[1]}, nil
	}
	return tableName{}, fmt.Errorf("table name %q: want table or schema.table, got %d parts", s, len(parts))
}

// cutIdent reads one identifier from the start of s and returns the rest,
// which is empty or starts with a dot.
func cutIdent(s string) (ident, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			ident, rest = b.String(), s[i+1:]
			if err := checkIdent(ident); err != nil {
				return "", "", err
			}
			return ident, rest, nil
		}
		return "", "", errors.New("unterminated quoted name")
	}
	end := strings.IndexAny(s, `."`)
	if end < 0 {
		end = len(s)
	}
	ident, rest = s[:end], s[end:]
	if strings.HasPrefix(rest, `"`) {
		return "", "", errors.New("a quote inside a bare name")
	}
	for _, r := range ident {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return "", "", fmt.Errorf("%q in a bare name: quote the name", r)
		}
	}
	ident = foldASCII(ident)
	return ident, rest, checkIdent(ident)
}

func checkIdent(s string) error {
	switch {
	case s == "":
		return errors.New("empty name")
	case len(s) > maxIdentBytes:
		return fmt.Errorf("name longer than %d bytes", maxIdentBytes)
	case !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0:
		return errors.New("name is not valid UTF-8 text")
	}
	return nil
}

// foldASCII lower-cases A-Z only, as PostgreSQL folds unquoted names.
func foldASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
