package sdk

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

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
	// ConfigKeys, when set, is the spec instead of Config's tags: a plugin
	// served by another process has no Go struct in the worker, only the
	// keys it described (see plugins/host).
	ConfigKeys []ConfigKey
	// ValidateConfig, when set, checks what the spec cannot say (keys named at
	// run time, like a transform chain's transforms.<alias>.*, or a remote
	// plugin's own checks) and returns the problems per key.
	ValidateConfig func(cfg Config) map[string][]string

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
	if p.Config == nil && p.ConfigKeys == nil {
		return fmt.Errorf("sdk: plugin %s has no config struct", p.Class)
	}
	_, err := p.Keys()
	return err
}

// Keys returns the plugin's config spec: ConfigKeys when set, else the keys
// of its Config struct.
func (p Plugin) Keys() ([]ConfigKey, error) {
	if p.ConfigKeys != nil {
		return p.ConfigKeys, nil
	}
	keys, err := Spec(p.Config)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", p.Class, err)
	}
	return keys, nil
}

// Problems checks cfg against the plugin's spec and its ValidateConfig, and
// returns what is wrong per key: an empty map when cfg is valid.
func (p Plugin) Problems(cfg Config) map[string][]string {
	var bad map[string][]string
	if p.ConfigKeys != nil {
		bad = validateKeys(p.ConfigKeys, cfg)
	} else {
		bad = Validate(p.Config, cfg)
	}
	if p.ValidateConfig != nil {
		for k, msgs := range p.ValidateConfig(cfg) {
			bad[k] = append(bad[k], msgs...)
		}
	}
	return bad
}

// Mask returns a copy of cfg whose PASSWORD keys read "[hidden]".
func (p Plugin) Mask(cfg Config) Config {
	if p.ConfigKeys != nil {
		out := maps.Clone(cfg)
		for _, k := range p.ConfigKeys {
			if _, ok := out[k.Name]; ok && k.Type == "PASSWORD" {
				out[k.Name] = hidden
			}
		}
		return out
	}
	return Masked(p.Config, cfg)
}

// validateKeys is the check a described spec allows: required keys are set
// and enumerated keys hold one of their values. The plugin process checks
// the rest when its task opens.
func validateKeys(keys []ConfigKey, cfg Config) map[string][]string {
	bad := map[string][]string{}
	for _, k := range keys {
		v, set := cfg[k.Name]
		if !set || blank(v) {
			if k.Required && k.DefaultValue == nil {
				bad[k.Name] = append(bad[k.Name], "required")
			}
			continue
		}
		if len(k.Enum) > 0 && !slices.Contains(k.Enum, strings.TrimSpace(v)) {
			bad[k.Name] = append(bad[k.Name], "must be one of "+strings.Join(k.Enum, ", "))
		}
	}
	return bad
}
