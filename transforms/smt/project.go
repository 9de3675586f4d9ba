package smt

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

const projectSummary = "Keeps the listed fields, in the listed order (a missing one becomes null, so every output has the same fields), or removes the listed fields."

type projectConfig struct {
	Include []string `json:"include" doc:"Fields to keep, in output order; missing ones are written as null."`
	Exclude []string `json:"exclude" doc:"Fields to remove (when include is empty)."`
}

type projectStep struct {
	include []string
	exclude map[string]bool
	out     value.Row
}

func buildProject(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[projectConfig](cfg)
	if err != nil {
		return nil, err
	}
	if (len(c.Include) == 0) == (len(c.Exclude) == 0) {
		return nil, &sdk.KeyError{Key: "include", Err: errors.New("set include or exclude (one of them)")}
	}
	for i, name := range c.Include {
		if slices.Contains(c.Include[:i], name) {
			return nil, &sdk.KeyError{Key: "include", Err: fmt.Errorf("%s is listed twice", name)}
		}
	}
	s := &projectStep{}
	for _, name := range c.Include {
		s.include = append(s.include, value.Intern(name))
	}
	if len(c.Exclude) > 0 {
		s.exclude = map[string]bool{}
		for _, f := range c.Exclude {
			s.exclude[f] = true
		}
	}
	return s, nil
}

func (s *projectStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	s.out.Reset()
	if s.include != nil {
		for i, name := range s.include {
			v := value.Value{}
			if j := row.IndexFrom(i, name); j >= 0 {
				v = row.Fields[j].Value
			}
			s.out.Append(name, v)
		}
	} else {
		for _, f := range row.Fields {
			if !s.exclude[f.Name] {
				s.out.Append(f.Name, f.Value)
			}
		}
	}
	c.replace(&s.out)
	return nil
}

const renameSummary = "Renames fields; a field renamed onto an existing name replaces it."

type renameConfig struct {
	Renames []string `json:"renames" validate:"required,min=1" doc:"Pairs from:to, e.g. userid:userId,roomid:roomId." importance:"high"`
}

type renameStep struct{ from, to []string }

func buildRename(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[renameConfig](cfg)
	if err != nil {
		return nil, err
	}
	s := &renameStep{}
	for _, pair := range c.Renames {
		from, to, ok := strings.Cut(pair, ":")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || from == "" || to == "" {
			return nil, &sdk.KeyError{Key: "renames", Err: fmt.Errorf("%q is not from:to", pair)}
		}
		s.from, s.to = append(s.from, value.Intern(from)), append(s.to, value.Intern(to))
	}
	for i, to := range s.to {
		if j := slices.Index(s.from, to); j >= 0 && j != i {
			return nil, &sdk.KeyError{Key: "renames", Err: fmt.Errorf("%s is renamed and also a new name: renames run one after another, so chains and swaps would lose a field", to)}
		}
	}
	return s, nil
}

func (s *renameStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	for i := range s.from {
		if row.Rename(s.from[i], s.to[i]) {
			c.changed()
		}
	}
	return nil
}
