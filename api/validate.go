package api

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// hidden replaces secret values, as Kafka Connect prints a Password.
const hidden = "[hidden]"

// configInfos is Kafka Connect's answer to config/validate.
type configInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []configInfo `json:"configs"`
}

type configInfo struct {
	Definition sdk.ConfigKey `json:"definition"`
	Value      configValue   `json:"value"`
}

type configValue struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

func (s *Server) validateConfig(c *gin.Context) {
	class := c.Param("plugin")
	var raw rawConfig
	if err := s.decodeBody(c, &raw); err != nil {
		s.fail(c, err, pluginWhat(class))
		return
	}
	if raw == nil {
		s.fail(c, badRequest("the body must be a JSON object of config keys to values"), pluginWhat(class))
		return
	}
	cfg, err := raw.strings()
	if err != nil {
		s.fail(c, err, pluginWhat(class))
		return
	}
	if cfg["connector.class"] == "" {
		cfg["connector.class"] = class
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	keys, errs, err := s.ctl.ValidateConfig(ctx, class, cfg)
	if err != nil {
		s.fail(c, err, pluginWhat(class))
		return
	}
	writeJSON(c, http.StatusOK, buildConfigInfos(class, keys, cfg, errs))
}

// buildConfigInfos lays out the validation in Kafka Connect's shape: one entry
// per defined key in the controller's order, then one per key that has errors
// but no definition (an unknown key a plugin refuses), sorted.
func buildConfigInfos(class string, keys []sdk.ConfigKey, cfg map[string]string, errs map[string][]string) configInfos {
	out := configInfos{Name: class, Groups: []string{}, Configs: make([]configInfo, 0, len(keys))}
	seenGroup := map[string]bool{}
	defined := make(map[string]bool, len(keys))
	for _, k := range normalizeKeys(keys) {
		defined[k.Name] = true
		if k.Group != "" && !seenGroup[k.Group] {
			seenGroup[k.Group] = true
			out.Groups = append(out.Groups, k.Group)
		}
		v := configValue{Name: k.Name, RecommendedValues: recommended(k), Errors: nonNil(errs[k.Name]), Visible: true}
		if val, ok := cfg[k.Name]; ok {
			v.Value = &val
		} else if k.DefaultValue != nil {
			def := *k.DefaultValue
			v.Value = &def
		}
		if v.Value != nil && strings.EqualFold(k.Type, "PASSWORD") {
			h := hidden
			v.Value = &h
		}
		out.ErrorCount += len(v.Errors)
		out.Configs = append(out.Configs, configInfo{Definition: k, Value: v})
	}
	for _, name := range slices.Sorted(maps.Keys(errs)) {
		if defined[name] || len(errs[name]) == 0 {
			continue
		}
		v := configValue{Name: name, RecommendedValues: []string{}, Errors: errs[name], Visible: true}
		if _, ok := cfg[name]; ok {
			// No definition says whether it is a secret: assume it is.
			h := hidden
			v.Value = &h
		}
		out.ErrorCount += len(v.Errors)
		out.Configs = append(out.Configs, configInfo{
			Definition: sdk.ConfigKey{Name: name, Type: "STRING", Dependents: []string{}},
			Value:      v,
		})
	}
	return out
}

func recommended(k sdk.ConfigKey) []string {
	return nonNil(append([]string(nil), k.Enum...))
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
