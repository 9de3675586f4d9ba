package sdk

import "fmt"

// Type says what a plugin is.
type Type string

// Plugin types, as `GET /connector-plugins` names them.
const (
	TypeSource    Type = "source"
	TypeSink      Type = "sink"
	TypeTransform Type = "transform"
)

// Plugin describes a connector so the runtime can list, validate and run it.
// Exactly one of NewSource, NewSink and NewTransform is set, matching Type.
type Plugin struct {
	// Class is the value of `connector.class` that selects this plugin.
	Class string
	// Aliases are other accepted class names (e.g. Kafka Connect's class of
	// the connector this one replaces, so existing configs carry over).
	Aliases []string
	Type    Type
	Version string
	// Summary is one line for plugin lists and the docs.
	Summary string
	// Config is a pointer to the zero value of the plugin's config struct; its
	// tags give the spec (see Decode).
	Config any

	NewSource    func() Source
	NewSink      func() Sink
	NewTransform func() Transform

	// TaskConfigs splits a connector's config into at most maxTasks task
	// configs. When nil, a source runs one task and a sink or transform runs
	// maxTasks tasks sharing one consumer group.
	TaskConfigs func(cfg Config, maxTasks int) ([]Config, error)
	// Singleton marks a source that must never run twice at once (a binlog reader).
	Singleton bool
}

// Check reports a descriptor that cannot work.
func (p Plugin) Check() error {
	if p.Class == "" {
		return fmt.Errorf("sdk: plugin without a class")
	}
	set := 0
	for _, f := range []bool{p.NewSource != nil, p.NewSink != nil, p.NewTransform != nil} {
		if f {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("sdk: plugin %s must set exactly one constructor", p.Class)
	}
	ok := (p.Type == TypeSource && p.NewSource != nil) || (p.Type == TypeSink && p.NewSink != nil) ||
		(p.Type == TypeTransform && p.NewTransform != nil)
	if !ok {
		return fmt.Errorf("sdk: plugin %s has type %q but another constructor", p.Class, p.Type)
	}
	if p.Config == nil {
		return fmt.Errorf("sdk: plugin %s has no config struct", p.Class)
	}
	return nil
}
