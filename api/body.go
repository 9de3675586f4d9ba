package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// decodeBody decodes the request body, a single JSON value, into v. Unknown
// fields are refused so a typo ("configs") does not pass silently.
func (s *Server) decodeBody(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, tooLarge(mbe.Limit)}
		}
		return badRequest("cannot read request body: " + err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is empty; expected JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(jsonErrorMessage(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed JSON: request body holds more than one JSON value")
	}
	return nil
}

// jsonErrorMessage explains a decoding error in terms of the request.
func jsonErrorMessage(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends in the middle of a value"
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("malformed request: expected %s, got JSON %s", jsonKind(typ.Type), typ.Value)
		}
		return fmt.Sprintf("malformed request: field %q must be %s, got JSON %s", typ.Field, jsonKind(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "malformed request: unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "malformed JSON: " + err.Error()
	}
}

// jsonKind names the JSON a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "a " + t.String()
	}
}

// rawConfig is a connector config as JSON carries it. Values may be strings,
// numbers or booleans, which Kafka Connect accepts too ("tasks.max": 2).
type rawConfig map[string]json.RawMessage

// strings converts the config to Kafka Connect's string map. Nulls, objects
// and arrays are refused, naming each key.
func (rc rawConfig) strings() (map[string]string, error) {
	cfg := make(map[string]string, len(rc))
	var bad []string
	for k, raw := range rc {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			bad = append(bad, k)
			continue
		}
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				bad = append(bad, k)
				continue
			}
			cfg[k] = s
		case '{', '[', 'n':
			bad = append(bad, k)
		default: // number, true, false: their JSON text is their string form
			cfg[k] = string(raw)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return nil, badRequest(fmt.Sprintf("config values must be strings, numbers or booleans; invalid: %s",
			strings.Join(quoteAll(bad), ", ")))
	}
	return cfg, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
