package sdk

import (
	"errors"
	"strings"
)

// KeyError is a config problem a plugin's own checks found (beyond what its
// struct tags say), placed on the key it concerns so that config/validate
// shows it beside that field.
type KeyError struct {
	Key string
	Err error
}

// ErrorAtKey returns err placed on key.
func ErrorAtKey(key string, err error) error { return &KeyError{Key: key, Err: err} }

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// ValidateWith makes a Plugin.ValidateConfig from a plugin's config struct
// and the check its Open runs (compiling rules, paths, expressions): the
// check runs only on configs the struct's tags accept, since the runtime
// reports those problems already, and a *KeyError it returns is placed on
// its key (anything else on the empty key).
func ValidateWith(configStruct any, check func(Config) error) func(Config) map[string][]string {
	return func(cfg Config) map[string][]string {
		if len(Validate(configStruct, cfg)) > 0 {
			return nil
		}
		err := check(cfg)
		if err == nil {
			return nil
		}
		var ke *KeyError
		if errors.As(err, &ke) {
			return map[string][]string{ke.Key: {ke.Err.Error()}}
		}
		return map[string][]string{"": {err.Error()}}
	}
}

// UnderPrefix places a config error of a nested config (a chain's step, a
// fanout's branch) under the nesting's full keys: a *ValidationError's
// fields and a *KeyError's key get prefix in front, and any other error is
// placed on the prefix itself (without its trailing dot).
func UnderPrefix(prefix string, err error) error {
	var verr *ValidationError
	if errors.As(err, &verr) {
		fields := make(map[string][]string, len(verr.Fields))
		for k, msgs := range verr.Fields {
			fields[prefix+k] = msgs
		}
		return &ValidationError{Fields: fields}
	}
	var kerr *KeyError
	if errors.As(err, &kerr) {
		return &KeyError{Key: prefix + kerr.Key, Err: kerr.Err}
	}
	return &KeyError{Key: strings.TrimSuffix(prefix, "."), Err: err}
}
