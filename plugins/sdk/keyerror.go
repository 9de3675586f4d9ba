package sdk

import "errors"

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
