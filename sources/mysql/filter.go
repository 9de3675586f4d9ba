package mysql

import (
	"fmt"
	"regexp"
	"strings"
)

// systemDatabases are never captured.
var systemDatabases = map[string]bool{"mysql": true, "sys": true, "information_schema": true, "performance_schema": true}

// filter decides which tables are captured, with Debezium's semantics: each
// list holds regular expressions matched case-insensitively against the
// whole name, a list is either include or exclude, and databases filter
// before tables.
type filter struct {
	includeDB, excludeDB, includeTable, excludeTable []*regexp.Regexp
}

func newFilter(c *Config) (*filter, error) {
	f := &filter{}
	if len(c.IncludeDatabases) > 0 && len(c.ExcludeDatabases) > 0 {
		return nil, fmt.Errorf("set database.include.list or database.exclude.list, not both")
	}
	if len(c.IncludeTables) > 0 && len(c.ExcludeTables) > 0 {
		return nil, fmt.Errorf("set table.include.list or table.exclude.list, not both")
	}
	for _, l := range []struct {
		key      string
		patterns []string
		into     *[]*regexp.Regexp
	}{
		{"database.include.list", c.IncludeDatabases, &f.includeDB},
		{"database.exclude.list", c.ExcludeDatabases, &f.excludeDB},
		{"table.include.list", c.IncludeTables, &f.includeTable},
		{"table.exclude.list", c.ExcludeTables, &f.excludeTable},
	} {
		for _, p := range l.patterns {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			re, err := regexp.Compile("(?i)^(?:" + p + ")$") // case-insensitive, as Debezium
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a regular expression: %w", l.key, p, err)
			}
			*l.into = append(*l.into, re)
		}
	}
	return f, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// database reports whether tables of db may be captured.
func (f *filter) database(db string) bool {
	if systemDatabases[strings.ToLower(db)] {
		return false
	}
	if len(f.includeDB) > 0 {
		return anyMatch(f.includeDB, db)
	}
	return !anyMatch(f.excludeDB, db)
}

// table reports whether db.name is captured.
func (f *filter) table(db, name string) bool {
	if !f.database(db) {
		return false
	}
	id := db + "." + name
	if len(f.includeTable) > 0 {
		return anyMatch(f.includeTable, id)
	}
	return !anyMatch(f.excludeTable, id)
}
