package ctl

import (
	"fmt"
	"strings"
)

// UnsetVariableError is a ${VAR} placeholder whose variable is not set and
// has no default.
type UnsetVariableError struct{ Name string }

func (e *UnsetVariableError) Error() string {
	return fmt.Sprintf("environment variable %s is not set (write ${%s:-default} to give a default)", e.Name, e.Name)
}

// ExpandPlaceholders fills the placeholders of s from env:
//
//	${VAR}           the value of VAR; an *UnsetVariableError when VAR is unset
//	${VAR:-default}  the value of VAR, or default when VAR is unset or empty
//	$${              a literal "${" (so "$${VAR}" gives "${VAR}")
//
// VAR is a letter or underscore followed by letters, digits and underscores;
// default is literal text up to the first "}". A "${…}" whose body holds a
// ':' but is not VAR:-default, such as Kafka Connect's config-provider
// references ${file:/etc/secrets:password} or ${env:NAME}, is left as written
// for the worker to resolve. Any other "${" (unterminated, empty, or not a
// name) is an error, so a typo never reaches a connector silently.
func ExpandPlaceholders(s string, env func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	if env == nil {
		env = noEnv
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated placeholder %q (write $${ for a literal ${)", clip(s[i:]))
		}
		whole := s[i : i+3+end]
		body := s[i+2 : i+2+end]
		i += len(whole)

		name, def, hasDefault := body, "", false
		if j := strings.Index(body, ":-"); j >= 0 {
			name, def, hasDefault = body[:j], body[j+2:], true
		}
		if !isVarName(name) {
			if strings.Contains(body, ":") {
				b.WriteString(whole) // a config-provider reference
				continue
			}
			return "", fmt.Errorf("malformed placeholder %q: want ${VAR} or ${VAR:-default} (write $${ for a literal ${)", clip(whole))
		}
		v, ok := env(name)
		switch {
		case hasDefault && v == "":
			b.WriteString(def)
		case ok:
			b.WriteString(v)
		default:
			return "", &UnsetVariableError{Name: name}
		}
	}
	return b.String(), nil
}

func noEnv(string) (string, bool) { return "", false }

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// clip shortens text quoted in an error message.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
