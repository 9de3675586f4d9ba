package worker

import (
	"fmt"
	"sort"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Registry holds the plugins a worker can run, by class and alias.
type Registry struct {
	byClass map[string]sdk.Plugin
	plugins []sdk.Plugin
}

// NewRegistry checks and indexes plugins; a duplicate class or alias is an error.
func NewRegistry(plugins ...sdk.Plugin) (*Registry, error) {
	r := &Registry{byClass: map[string]sdk.Plugin{}}
	for _, p := range plugins {
		if err := p.Check(); err != nil {
			return nil, err
		}
		for _, name := range append([]string{p.Class}, p.Aliases...) {
			if _, dup := r.byClass[name]; dup {
				return nil, fmt.Errorf("plugin class %q registered twice", name)
			}
			r.byClass[name] = p
		}
		r.plugins = append(r.plugins, p)
	}
	sort.Slice(r.plugins, func(i, j int) bool { return r.plugins[i].Class < r.plugins[j].Class })
	return r, nil
}

// Lookup finds a plugin by class or alias.
func (r *Registry) Lookup(class string) (sdk.Plugin, bool) {
	p, ok := r.byClass[class]
	return p, ok
}

// Plugins lists the plugins sorted by class.
func (r *Registry) Plugins() []sdk.Plugin { return r.plugins }
