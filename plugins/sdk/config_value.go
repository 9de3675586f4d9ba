package sdk

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// kind is how a config value is parsed, whatever the Go type's name: a named
// string type (type Mode string) parses like a string.
type kind uint8

const (
	kindString kind = iota // string, Password
	kindBool
	kindInt // int, int32, int64
	kindFloat
	kindDuration
	kindList // []string
)

var (
	passwordType = reflect.TypeFor[Password]()
	durationType = reflect.TypeFor[time.Duration]()
)

// kindOf maps a field's Go type to its kind and Kafka Connect type name. Go's
// int is INT and parsed within int32's range, so a value the spec advertises
// as INT is one a Kafka Connect client can send.
func kindOf(t reflect.Type) (k kind, typeName string, bits int, err error) {
	switch t {
	case passwordType:
		return kindString, "PASSWORD", 0, nil
	case durationType:
		return kindDuration, "LONG", 0, nil
	}
	switch t.Kind() {
	case reflect.String:
		return kindString, "STRING", 0, nil
	case reflect.Bool:
		return kindBool, "BOOLEAN", 0, nil
	case reflect.Int, reflect.Int32:
		return kindInt, "INT", 32, nil
	case reflect.Int64:
		return kindInt, "LONG", 64, nil
	case reflect.Float64:
		return kindFloat, "DOUBLE", 0, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return kindList, "LIST", 0, nil
		}
	}
	return 0, "", 0, fmt.Errorf("unsupported type %s", t)
}

// blank reports a value that counts as missing: REST clients and UIs send ""
// for a field the user left empty.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// maxMillis is the largest millisecond count a time.Duration holds.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// parse sets v, a zero value of the field's type, from a non-blank raw value.
// Its errors are the messages users see, after the key name.
func (f *field) parse(raw string, v reflect.Value) error {
	s := strings.TrimSpace(raw)
	switch f.kind {
	case kindString:
		v.SetString(raw) // untrimmed: spaces may matter in a password or a delimiter
	case kindBool:
		// Only true and false, either case, as Kafka Connect accepts: "1" or
		// "yes" is more likely a mistake than a boolean.
		switch {
		case strings.EqualFold(s, "true"):
			v.SetBool(true)
		case strings.EqualFold(s, "false"):
			v.SetBool(false)
		default:
			return errors.New("must be true or false")
		}
	case kindInt:
		n, err := strconv.ParseInt(s, 10, f.bits)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("must be an integer between %d and %d", int64(-1)<<(f.bits-1), int64(1)<<(f.bits-1)-1)
		}
		if err != nil {
			return errors.New("must be an integer")
		}
		v.SetInt(n)
	case kindFloat:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return errors.New("must be a finite number")
		}
		v.SetFloat(n)
	case kindDuration:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case kindList:
		var items []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		if len(items) == 0 {
			return nil // nil, like an absent list
		}
		list := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, item := range items {
			list.Index(i).SetString(item)
		}
		v.Set(list)
	}
	return nil
}

// parseDuration reads integer milliseconds, as Kafka Connect's duration keys
// (errors.retry.timeout=30000) hold, or a Go duration such as "5s".
func parseDuration(s string) (time.Duration, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || ms > maxMillis || ms < -maxMillis {
			return 0, fmt.Errorf("must be between %d and %d milliseconds", -maxMillis, maxMillis)
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("must be a duration in milliseconds or like 30s")
	}
	return d, nil
}

// format writes a parsed value back the way Kafka Connect shows it, so the
// spec's defaults are canonical (a "30s" default reads 30000 for a LONG key).
func (f *field) format(v reflect.Value) string {
	switch f.kind {
	case kindBool:
		return strconv.FormatBool(v.Bool())
	case kindInt:
		return strconv.FormatInt(v.Int(), 10)
	case kindFloat:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case kindDuration:
		return strconv.FormatInt(time.Duration(v.Int()).Milliseconds(), 10)
	case kindList:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
		}
		return strings.Join(items, ",")
	}
	return v.String()
}
