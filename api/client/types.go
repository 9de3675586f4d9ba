package client

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/tributarydata/tributary/bus/worker"
)

// Expand names what GET /connectors?expand= adds to each connector.
type Expand string

// The expansions Kafka Connect knows.
const (
	ExpandStatus Expand = "status"
	ExpandInfo   Expand = "info"
)

// ConnectorExpansion is one connector of GET /connectors?expand=…; a field is
// nil when it was not asked for (or the server had nothing to say).
type ConnectorExpansion struct {
	Status *worker.ConnectorStatus `json:"status,omitempty"`
	Info   *worker.ConnectorInfo   `json:"info,omitempty"`
}

// RestartOptions are the query parameters of POST /connectors/{name}/restart.
type RestartOptions struct {
	// IncludeTasks restarts the connector's tasks as well.
	IncludeTasks bool
	// OnlyFailed restarts only the instances that are FAILED.
	OnlyFailed bool
}

// Health is the answer of GET /health (Kafka Connect's KIP-1017 shape).
type Health struct {
	// Status is "healthy", "starting" or "unhealthy".
	Status  string `json:"status"`
	Message string `json:"message"`
}

// HealthHealthy is the Status of a worker ready to serve requests.
const HealthHealthy = "healthy"

// ConfigKeyInfo is the definition of one config key, as
// GET /connector-plugins/{class}/config and config/validate show it.
type ConfigKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         string   `json:"group"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
	Order         int      `json:"order"`
	Enum          []string `json:"enum,omitempty"`
}

// UnmarshalJSON accepts a default_value that is a JSON number or boolean as
// well as a string: servers other than Kafka Connect send typed defaults.
func (k *ConfigKeyInfo) UnmarshalJSON(b []byte) error {
	type plain ConfigKeyInfo
	var wire struct {
		plain
		DefaultValue json.RawMessage `json:"default_value"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*k = ConfigKeyInfo(wire.plain)
	v, err := scalarText(wire.DefaultValue)
	if err != nil {
		return fmt.Errorf("config key %q: default_value: %w", k.Name, err)
	}
	k.DefaultValue = v
	return nil
}

// ConfigInfos is the answer of PUT /connector-plugins/{class}/config/validate.
type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// ConfigInfo is one key of a validation: its definition and its value.
type ConfigInfo struct {
	Definition ConfigKeyInfo   `json:"definition"`
	Value      ConfigValueInfo `json:"value"`
}

// ConfigValueInfo is the submitted value of a key and what is wrong with it.
// Values of secret keys come back as "[hidden]".
type ConfigValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// UnmarshalJSON accepts a value that is a JSON number or boolean as well as a
// string.
func (v *ConfigValueInfo) UnmarshalJSON(b []byte) error {
	type plain ConfigValueInfo
	var wire struct {
		plain
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*v = ConfigValueInfo(wire.plain)
	s, err := scalarText(wire.Value)
	if err != nil {
		return fmt.Errorf("config value %q: %w", v.Name, err)
	}
	v.Value = s
	return nil
}

// FieldError is one error of one config key.
type FieldError struct {
	Key     string
	Message string
}

// FieldErrors lists the errors of every key, in the order of Configs.
func (c ConfigInfos) FieldErrors() []FieldError {
	var out []FieldError
	for _, ci := range c.Configs {
		name := ci.Value.Name
		if name == "" {
			name = ci.Definition.Name
		}
		for _, msg := range ci.Value.Errors {
			out = append(out, FieldError{Key: name, Message: msg})
		}
	}
	return out
}

// Valid reports whether the validation found no error.
func (c ConfigInfos) Valid() bool {
	return c.ErrorCount == 0 && len(c.FieldErrors()) == 0
}

// scalarText turns a JSON scalar into its text: nil for null or absent,
// strings unquoted, numbers and booleans as written.
func scalarText(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	case bool:
		s = fmt.Sprint(t)
	default:
		return nil, fmt.Errorf("want a string, number or boolean, got %s", raw)
	}
	return &s, nil
}
