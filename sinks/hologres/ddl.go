package hologres

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/sinks/row"
)

// tableProps are the Hologres table properties of a table the sink creates.
type tableProps struct {
	Orientation  string   // column, row or row,column
	Distribution []string // columns
	Clustering   []string // columns, each optionally :asc or :desc
	EventTime    string   // column
	TTLSeconds   int64    // 0: not set

	// clustering is Clustering resolved against the columns.
	clustering []clusterKey
}

type clusterKey struct{ column, order string }

func (p tableProps) empty() bool {
	return p.Orientation == "" && len(p.Distribution) == 0 && len(p.Clustering) == 0 && p.EventTime == "" && p.TTLSeconds == 0
}

// declaredType is what a declared column type may look like: words,
// optional arguments, optional array brackets. The type is written into
// CREATE TABLE as it is, so nothing else gets through.
var declaredType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ ]*(\(\s*[0-9]+\s*(,\s*[0-9]+\s*)?\))?[A-Za-z ]*(\[\])*$`)

// createTable returns the statements that create a table from declared
// columns with key as its primary key (none when empty), to run in one
// transaction. On Hologres the table properties follow the CREATE TABLE as
// CALL set_table_property, which Hologres accepts only in the transaction
// that creates the table; PostgreSQL has no such properties and gets the
// CREATE TABLE alone.
func createTable(name tableName, cols []row.Column, key []string, props tableProps, hologres bool) ([]string, error) {
	key, err := resolveColumns(declaredColumns(cols), key)
	if err != nil {
		return nil, fmt.Errorf("pk.fields: %w", err)
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(name.String())
	b.WriteString(" (")
	for i, c := range cols {
		if !declaredType.MatchString(c.SQLType) {
			return nil, fmt.Errorf("column %s: type %q is not one the sink writes into DDL", c.Name, c.SQLType)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name))
		b.WriteByte(' ')
		b.WriteString(c.SQLType)
		if c.NotNull {
			b.WriteString(" NOT NULL")
		}
	}
	if len(key) > 0 {
		b.WriteString(", PRIMARY KEY (")
		for i, k := range key {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(k))
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
	stmts := []string{b.String()}
	if !hologres {
		return stmts, nil
	}
	if props, err = props.resolve(cols); err != nil {
		return nil, err
	}
	return append(stmts, props.statements(name)...), nil
}

// resolve checks that the properties name declared columns and spells
// them as declared.
func (p tableProps) resolve(cols []row.Column) (tableProps, error) {
	catalog := declaredColumns(cols)
	one := func(prop, name string) (string, error) {
		r, err := resolveColumns(catalog, []string{name})
		if err != nil {
			return "", fmt.Errorf("%s: %w", prop, err)
		}
		return r[0], nil
	}
	var err error
	out := tableProps{Orientation: p.Orientation, TTLSeconds: p.TTLSeconds}
	if len(p.Distribution) > 0 {
		if out.Distribution, err = resolveColumns(catalog, p.Distribution); err != nil {
			return out, fmt.Errorf("table.distribution.key: %w", err)
		}
	}
	for _, c := range p.Clustering {
		name, order := c, ""
		if i := strings.LastIndexByte(c, ':'); i >= 0 {
			switch o := strings.ToLower(strings.TrimSpace(c[i+1:])); o {
			case "asc", "desc":
				name, order = strings.TrimSpace(c[:i]), o
			default:
				return out, fmt.Errorf("table.clustering.key: %q: order must be asc or desc", c)
			}
		}
		if name, err = one("table.clustering.key", name); err != nil {
			return out, err
		}
		out.clustering = append(out.clustering, clusterKey{name, order})
	}
	if p.EventTime != "" {
		if out.EventTime, err = one("table.event.time.column", p.EventTime); err != nil {
			return out, err
		}
	}
	return out, nil
}

// statements are the CALL set_table_property statements of properties
// resolve returned. Hologres reads the table and column arguments as SQL names:
// a name that is not plain lower case goes in double quotes.
func (p tableProps) statements(name tableName) []string {
	target := quoteLiteral(hgName(name.Schema, true) + hgName(name.Name, false))
	call := func(prop, value string) string {
		return "CALL set_table_property(" + target + ", " + quoteLiteral(prop) + ", " + quoteLiteral(value) + ")"
	}
	var out []string
	if p.Orientation != "" {
		out = append(out, call("orientation", p.Orientation))
	}
	if len(p.Distribution) > 0 {
		names := make([]string, len(p.Distribution))
		for i, c := range p.Distribution {
			names[i] = hgName(c, false)
		}
		out = append(out, call("distribution_key", strings.Join(names, ",")))
	}
	if len(p.clustering) > 0 {
		names := make([]string, len(p.clustering))
		for i, c := range p.clustering {
			names[i] = hgName(c.column, false)
			if c.order != "" {
				names[i] += ":" + c.order
			}
		}
		out = append(out, call("clustering_key", strings.Join(names, ",")))
	}
	if p.EventTime != "" {
		out = append(out, call("event_time_column", hgName(p.EventTime, false)))
	}
	if p.TTLSeconds > 0 {
		out = append(out, call("time_to_live_in_seconds", strconv.FormatInt(p.TTLSeconds, 10)))
	}
	return out
}

// plainName is a name SQL reads the same without quotes.
var plainName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// hgName writes a name for a set_table_property argument; a schema gets
// its separating dot, an empty schema nothing.
func hgName(s string, schema bool) string {
	if schema && s == "" {
		return ""
	}
	if !plainName.MatchString(s) {
		s = quoteIdent(s)
	}
	if schema {
		s += "."
	}
	return s
}
