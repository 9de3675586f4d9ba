package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// commonConfig is embedded unexported and by value, as a connector family
// would share it.
type commonConfig struct {
	TasksMax int      `json:"tasks.max" default:"1" validate:"gt=0" doc:"Most tasks to run." importance:"high" group:"Common"`
	Topics   []string `json:"topics" validate:"required,min=1,max=3,regexp=^[a-z][a-z0-9._-]*$" doc:"Topics to read."`
}

type dbConfig struct {
	Host     string   `json:"hostname" validate:"required" doc:"Database host."`
	Port     int32    `json:"port" default:"3306" validate:"gte=1,lte=65535"`
	Password Password `json:"password" doc:"Database password."`
	User     string   `json:"user" default:"root" display:"User name"`
}

type fileSinkConfig struct {
	commonConfig
	File     string        `json:"file" validate:"required,min=2" doc:"Path of the file." group:"File" width:"long"`
	Mode     string        `json:"mode" default:"append" validate:"oneof=append truncate" importance:"low"`
	Fsync    bool          `json:"fsync" default:"true"`
	MaxBytes int64         `json:"max.bytes" default:"1048576" validate:"gt=0,lte=1073741824"`
	Ratio    float64       `json:"ratio" default:"0.5" validate:"gte=0,lte=1"`
	Timeout  time.Duration `json:"errors.retry.timeout" default:"30s" validate:"gte=0"`
	DB       *dbConfig     `json:"database"`
	Token    string        `json:"token" type:"password"`
	Class    string        `json:"converter" type:"class"`
	Pattern  string        `json:"pattern" validate:"regexp=^(a,b|c{1,2})$"`
	Notes    string        // no json tag: not a config key
	Skipped  string        `json:"-"`
	state    string
}

func ptr(s string) *string { return &s }

func TestSpec(t *testing.T) {
	keys, err := Spec(&fileSinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, typ  string
		required   bool
		def        *string
		importance string
		group      string
	}
	want := []row{
		{"tasks.max", "INT", false, ptr("1"), "HIGH", "Common"},
		{"topics", "LIST", true, nil, "HIGH", ""},
		{"file", "STRING", true, nil, "HIGH", "File"},
		{"mode", "STRING", false, ptr("append"), "LOW", ""},
		{"fsync", "BOOLEAN", false, ptr("true"), "MEDIUM", ""},
		{"max.bytes", "LONG", false, ptr("1048576"), "MEDIUM", ""},
		{"ratio", "DOUBLE", false, ptr("0.5"), "MEDIUM", ""},
		{"errors.retry.timeout", "LONG", false, ptr("30000"), "MEDIUM", ""},
		{"database.hostname", "STRING", true, nil, "HIGH", ""},
		{"database.port", "INT", false, ptr("3306"), "MEDIUM", ""},
		{"database.password", "PASSWORD", false, nil, "MEDIUM", ""},
		{"database.user", "STRING", false, ptr("root"), "MEDIUM", ""},
		{"token", "PASSWORD", false, nil, "MEDIUM", ""},
		{"converter", "CLASS", false, nil, "MEDIUM", ""},
		{"pattern", "STRING", false, nil, "MEDIUM", ""},
	}
	var got []row
	for i, k := range keys {
		got = append(got, row{k.Name, k.Type, k.Required, k.DefaultValue, k.Importance, k.Group})
		if k.Order != i+1 {
			t.Errorf("%s: order %d, want %d", k.Name, k.Order, i+1)
		}
		if k.Dependents == nil || len(k.Dependents) != 0 {
			t.Errorf("%s: dependents %#v, want an empty non-nil list", k.Name, k.Dependents)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spec\n got %+v\nwant %+v", got, want)
	}

	// Every attribute of two keys.
	wantFile := ConfigKey{
		Name: "file", Type: "STRING", Required: true, Importance: "HIGH",
		Documentation: "Path of the file.", Group: "File", Width: "LONG",
		DisplayName: "file", Dependents: []string{}, Order: 3,
	}
	if !reflect.DeepEqual(keys[2], wantFile) {
		t.Errorf("file key\n got %+v\nwant %+v", keys[2], wantFile)
	}
	wantMode := ConfigKey{
		Name: "mode", Type: "STRING", DefaultValue: ptr("append"), Importance: "LOW",
		Width: "NONE", DisplayName: "mode", Dependents: []string{}, Order: 4,
		Enum: []string{"append", "truncate"},
	}
	if !reflect.DeepEqual(keys[3], wantMode) {
		t.Errorf("mode key\n got %+v\nwant %+v", keys[3], wantMode)
	}
	if got := keys[11].DisplayName; got != "User name" {
		t.Errorf("display name %q, want %q", got, "User name")
	}

	// A value and a pointer give the same spec.
	byValue, err := Spec(fileSinkConfig{})
	if err != nil || !reflect.DeepEqual(byValue, keys) {
		t.Errorf("Spec(value) = %v, %v; want the pointer's spec", byValue, err)
	}
}

func TestSpecIsACopy(t *testing.T) {
	keys, err := Spec(&fileSinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	*keys[0].DefaultValue = "99"
	keys[3].Enum[0] = "changed"
	keys[0].Dependents = append(keys[0].Dependents, "x")
	again, _ := Spec(&fileSinkConfig{})
	if *again[0].DefaultValue != "1" || again[3].Enum[0] != "append" || len(again[0].Dependents) != 0 {
		t.Errorf("changing Spec's result changed the cached spec: %+v %+v", again[0], again[3])
	}
}

// oneField builds a struct type with a single field V of type typ and the
// given tag, so tables can try tags.
func oneField(typ reflect.Type, tag string) any {
	st := reflect.StructOf([]reflect.StructField{{Name: "V", Type: typ, Tag: reflect.StructTag(tag)}})
	return reflect.New(st).Interface()
}

type mode string

type (
	recursive struct {
		V    string     `json:"v"`
		Next *recursive `json:"next"`
	}
	duplicate struct {
		commonConfig
		Tasks int `json:"tasks.max"`
	}
	hasTime struct {
		At time.Time `json:"at"`
	}
	unexportedInner struct {
		A string `json:"a"`
	}
	embedsUnexportedPointer struct {
		*unexportedInner
	}
	badEmbedded struct {
		dbConfig `json:"db"`
		commonConfig
		Bad map[string]string `json:"bad"`
	}
)

func TestSpecErrors(t *testing.T) {
	var (
		str = reflect.TypeFor[string]()
		in  = reflect.TypeFor[int]()
	)
	tests := []struct {
		name   string
		config any
		want   string
	}{
		{"map", oneField(reflect.TypeFor[map[string]string](), `json:"v"`), `field V ("v"): unsupported type map[string]string`},
		{"pointer to int", oneField(reflect.TypeFor[*int](), `json:"v"`), "unsupported type *int"},
		{"uint", oneField(reflect.TypeFor[uint](), `json:"v"`), "unsupported type uint"},
		{"float32", oneField(reflect.TypeFor[float32](), `json:"v"`), "unsupported type float32"},
		{"int list", oneField(reflect.TypeFor[[]int](), `json:"v"`), "unsupported type []int"},
		{"unknown rule", oneField(str, `json:"v" validate:"foo"`), `unknown validate rule "foo"`},
		{"gt on string", oneField(str, `json:"v" validate:"gt=1"`), "rule gt needs a number or duration field"},
		{"gt not a number", oneField(in, `json:"v" validate:"gt=abc"`), "rule gt=abc: limit must be an integer"},
		{"gt without value", oneField(in, `json:"v" validate:"gt="`), "rule gt needs a value"},
		{"gte float on int", oneField(in, `json:"v" validate:"gte=1.5"`), "rule gte=1.5: limit must be an integer"},
		{"min on bool", oneField(reflect.TypeFor[bool](), `json:"v" validate:"min=1"`), "rule min needs a string, list or number field"},
		{"negative length", oneField(str, `json:"v" validate:"max=-1"`), "rule max=-1: want a length"},
		{"oneof on int", oneField(in, `json:"v" validate:"oneof=1 2"`), "rule oneof needs a string or list field"},
		{"oneof empty", oneField(str, `json:"v" validate:"oneof="`), "rule oneof needs values"},
		{"bad regexp", oneField(str, `json:"v" validate:"regexp=a("`), "rule regexp: error parsing regexp"},
		{"regexp on int", oneField(in, `json:"v" validate:"regexp=^1$"`), "rule regexp needs a string or list field"},
		{"default does not parse", oneField(in, `json:"v" default:"abc"`), `default "abc": must be an integer`},
		{"default breaks a rule", oneField(in, `json:"v" default:"0" validate:"gt=0"`), `default "0": must be > 0`},
		{"required with default", oneField(str, `json:"v" default:"x" validate:"required"`), "a required key cannot have a default"},
		{"importance", oneField(str, `json:"v" importance:"urgent"`), `importance "urgent" is not high, medium or low`},
		{"width", oneField(str, `json:"v" width:"huge"`), `width "huge" is not none, short, medium or long`},
		{"password on int", oneField(in, `json:"v" type:"password"`), `type "password" needs a string field`},
		{"unknown type", oneField(str, `json:"v" type:"secret"`), `unknown type "secret"`},
		{"json without name", oneField(str, `json:",omitempty"`), "field V: json tag without a name"},
		{"duplicate key", &duplicate{}, `field Tasks: key "tasks.max" is defined twice`},
		{"recursive", &recursive{}, "contains itself"},
		{"struct without keys", &hasTime{}, `field At ("at"): struct time.Time has no config keys`},
		{"unexported embedded pointer", &embedsUnexportedPointer{}, "embedded pointer to an unexported struct"},
		{"nested field is named", &badEmbedded{}, `field Bad ("bad"): unsupported type`},
		{"not a struct", 42, "config int is not a struct"},
		{"nil", nil, "config struct is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Spec(tt.config)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Spec error = %v, want it to contain %q", err, tt.want)
			}
			// Decode, Validate and Masked report the broken spec too.
			if tt.config == nil || reflect.TypeOf(tt.config).Kind() != reflect.Pointer {
				return
			}
			if err := Decode(Config{"v": "1"}, tt.config); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %v, want it to contain %q", err, tt.want)
			}
			if bad := Validate(tt.config, Config{}); len(bad[""]) != 1 || !strings.Contains(bad[""][0], tt.want) {
				t.Errorf(`Validate = %v, want the spec error under ""`, bad)
			}
			if m := Masked(tt.config, Config{"v": "secret"}); m["v"] != "[hidden]" {
				t.Errorf("Masked with a broken spec = %v, want every value hidden", m)
			}
		})
	}
}

// TestTypes decodes every supported field type, good and bad values.
func TestTypes(t *testing.T) {
	tests := []struct {
		typ     reflect.Type
		value   string
		want    any
		wantErr string
	}{
		{reflect.TypeFor[string](), "hello", "hello", ""},
		{reflect.TypeFor[string](), " spaced ", " spaced ", ""}, // strings are not trimmed
		{reflect.TypeFor[string](), "   ", "", ""},              // blank counts as missing
		{reflect.TypeFor[mode](), "fast", mode("fast"), ""},
		{reflect.TypeFor[Password](), "s3cret", Password("s3cret"), ""},
		{reflect.TypeFor[bool](), "true", true, ""},
		{reflect.TypeFor[bool](), " FALSE ", false, ""},
		{reflect.TypeFor[bool](), "True", true, ""},
		{reflect.TypeFor[bool](), "1", nil, "must be true or false"},
		{reflect.TypeFor[bool](), "yes", nil, "must be true or false"},
		{reflect.TypeFor[int](), "42", 42, ""},
		{reflect.TypeFor[int](), " -7 ", -7, ""},
		{reflect.TypeFor[int](), "4.2", nil, "must be an integer"},
		{reflect.TypeFor[int](), "0x10", nil, "must be an integer"},
		{reflect.TypeFor[int](), "2147483648", nil, "must be an integer between -2147483648 and 2147483647"},
		{reflect.TypeFor[int32](), "2147483647", int32(2147483647), ""},
		{reflect.TypeFor[int32](), "-2147483649", nil, "must be an integer between -2147483648 and 2147483647"},
		{reflect.TypeFor[int64](), "9223372036854775807", int64(9223372036854775807), ""},
		{reflect.TypeFor[int64](), "9223372036854775808", nil, "must be an integer between -9223372036854775808 and 9223372036854775807"},
		{reflect.TypeFor[int64](), "ten", nil, "must be an integer"},
		{reflect.TypeFor[float64](), "1.5", 1.5, ""},
		{reflect.TypeFor[float64](), "1e3", 1000.0, ""},
		{reflect.TypeFor[float64](), "-0.25", -0.25, ""},
		{reflect.TypeFor[float64](), "NaN", nil, "must be a finite number"},
		{reflect.TypeFor[float64](), "-Inf", nil, "must be a finite number"},
		{reflect.TypeFor[float64](), "1e400", nil, "must be a finite number"},
		{reflect.TypeFor[float64](), "1,5", nil, "must be a finite number"},
		{reflect.TypeFor[time.Duration](), "30000", 30 * time.Second, ""},
		{reflect.TypeFor[time.Duration](), " 250 ", 250 * time.Millisecond, ""},
		{reflect.TypeFor[time.Duration](), "5", 5 * time.Millisecond, ""},
		{reflect.TypeFor[time.Duration](), "-1000", -time.Second, ""},
		{reflect.TypeFor[time.Duration](), "5s", 5 * time.Second, ""},
		{reflect.TypeFor[time.Duration](), "1m30s", 90 * time.Second, ""},
		{reflect.TypeFor[time.Duration](), "soon", nil, "must be a duration in milliseconds or like 30s"},
		{reflect.TypeFor[time.Duration](), "9223372036854", 9223372036854 * time.Millisecond, ""},
		{reflect.TypeFor[time.Duration](), "9223372036855", nil, "must be between -9223372036854 and 9223372036854 milliseconds"},
		{reflect.TypeFor[time.Duration](), "99999999999999999999", nil, "must be between -9223372036854 and 9223372036854 milliseconds"},
		{reflect.TypeFor[[]string](), "a, b ,,c", []string{"a", "b", "c"}, ""},
		{reflect.TypeFor[[]string](), "single", []string{"single"}, ""},
		{reflect.TypeFor[[]string](), " , ,", []string(nil), ""},
		{reflect.TypeFor[[]mode](), "x,y", []mode{"x", "y"}, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s=%q", tt.typ, tt.value), func(t *testing.T) {
			target := oneField(tt.typ, `json:"v"`)
			err := Decode(Config{"v": tt.value}, target)
			if tt.wantErr != "" {
				assertFields(t, err, map[string][]string{"v": {tt.wantErr}})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := reflect.ValueOf(target).Elem().Field(0).Interface()
			want := tt.want
			if want == nil {
				want = reflect.Zero(tt.typ).Interface()
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

// assertFields checks that err is a *ValidationError with exactly want.
func assertFields(t *testing.T, err error, want map[string][]string) {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v, want a *ValidationError with %v", err, want)
	}
	if !reflect.DeepEqual(verr.Fields, want) {
		t.Errorf("fields = %q, want %q", verr.Fields, want)
	}
}

// TestRules checks every validate rule on the types it applies to.
func TestRules(t *testing.T) {
	var (
		str  = reflect.TypeFor[string]()
		in   = reflect.TypeFor[int]()
		fl   = reflect.TypeFor[float64]()
		dur  = reflect.TypeFor[time.Duration]()
		list = reflect.TypeFor[[]string]()
		pw   = reflect.TypeFor[Password]()
	)
	absent := "\x00absent" // marks a test without the key
	tests := []struct {
		typ   reflect.Type
		rules string
		value string
		want  []string // nil when valid
	}{
		{str, "required", "x", nil},
		{str, "required", "", []string{"required"}},
		{str, "required", " \t", []string{"required"}},
		{str, "required", absent, []string{"required"}},
		{list, "required", ",", []string{"required"}},
		{reflect.TypeFor[bool](), "required", "false", nil},
		{in, "required,gt=0", absent, []string{"required"}},
		{in, "gt=0", absent, nil}, // rules check only set values
		{in, "gt=0", "0", []string{"must be > 0"}},
		{in, "gt=0", "1", nil},
		{in, "gte=1", "0", []string{"must be >= 1"}},
		{in, "gte=1", "1", nil},
		{in, "lt=10", "10", []string{"must be < 10"}},
		{in, "lt=10", "9", nil},
		{in, "lte=10", "11", []string{"must be <= 10"}},
		{in, "lte=10", "10", nil},
		{in, "gte=-5, lte=5", "-6", []string{"must be >= -5"}}, // spaces around rules
		{in, "min=1", "0", []string{"must be >= 1"}},
		{in, "max=5", "6", []string{"must be <= 5"}},
		{fl, "gt=0.5", "0.5", []string{"must be > 0.5"}},
		{fl, "gt=0.5", "0.51", nil},
		{dur, "gte=1s", "999", []string{"must be >= 1s"}},
		{dur, "gte=1s", "1000", nil},
		{dur, "gte=1000", "1s", nil},
		{dur, "lt=100", "100ms", []string{"must be < 100"}},
		{str, "min=3", "ab", []string{"must have at least 3 characters"}},
		{str, "min=3", "äöü", nil}, // characters, not bytes
		{str, "min=1", "", nil},    // blank is missing, and min checks only set values
		{str, "max=2", "abc", []string{"must have at most 2 characters"}},
		{str, "max=1", "ab", []string{"must have at most 1 character"}},
		{list, "min=2", "a", []string{"must have at least 2 entries"}},
		{list, "max=1", "a,b", []string{"must have at most 1 entry"}},
		{list, "max=2", "a,,b", nil},
		{str, "oneof=a b c", "d", []string{"must be one of [a b c]"}},
		{str, "oneof=a b c", "a", nil},
		{str, "oneof=a b c", " a", []string{"must be one of [a b c]"}},
		{str, "oneof=a b c", "A", []string{"must be one of [a b c]"}},
		{list, "oneof=a b c", "a, c", nil},
		{list, "oneof=a b c", "a,x", []string{`entry "x" must be one of [a b c]`}},
		{str, "regexp=^[a-z]+$", "abc", nil},
		{str, "regexp=^[a-z]+$", "ab1", []string{"must match ^[a-z]+$"}},
		{str, "regexp=[0-9]", "a1b", nil}, // unanchored
		{str, "required,regexp=^(a,b|c{1,2})$", "a,b", nil},
		{str, "required,regexp=^(a,b|c{1,2})$", "cc", nil},
		{str, "required,regexp=^(a,b|c{1,2})$", "ccc", []string{"must match ^(a,b|c{1,2})$"}},
		{list, "regexp=^[a-z]+$", "ab,1", []string{`entry "1" must match ^[a-z]+$`}},
		{str, "min=5,regexp=^[a-z]+$", "AB", []string{"must have at least 5 characters", "must match ^[a-z]+$"}},
		{pw, "required,min=8", "short", []string{"must have at least 8 characters"}},
		{pw, "regexp=^[0-9]+$", "letters", []string{"must match ^[0-9]+$"}},
		{in, "", "3", nil},
		{in, ",,", "3", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %q", tt.typ, tt.rules, tt.value), func(t *testing.T) {
			target := oneField(tt.typ, `json:"v" validate:"`+tt.rules+`"`)
			cfg := Config{"v": tt.value}
			if tt.value == absent {
				cfg = Config{}
			}
			wantFields := map[string][]string{}
			if tt.want != nil {
				wantFields["v"] = tt.want
			}
			if got := Validate(target, cfg); !reflect.DeepEqual(got, wantFields) {
				t.Errorf("Validate = %q, want %q", got, wantFields)
			}
			err := Decode(cfg, target)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Decode: %v", err)
				}
				return
			}
			assertFields(t, err, wantFields)
			if strings.Contains(err.Error(), tt.value) && tt.typ == pw {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

var validFileSink = Config{
	"file":              "/tmp/out",
	"topics":            "orders, payments",
	"database.hostname": "db1",
	"database.password": "pw",
	"connector.class":   "FileSink", // the runtime's key: ignored
	"transforms":        "route",
}

// with returns a copy of base with the key-value pairs kv set.
func with(base Config, kv ...string) Config {
	cfg := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

func TestDecode(t *testing.T) {
	defaults := fileSinkConfig{
		commonConfig: commonConfig{TasksMax: 1, Topics: []string{"orders", "payments"}},
		File:         "/tmp/out",
		Mode:         "append",
		Fsync:        true,
		MaxBytes:     1048576,
		Ratio:        0.5,
		Timeout:      30 * time.Second,
		DB:           &dbConfig{Host: "db1", Port: 3306, Password: "pw", User: "root"},
	}
	tests := []struct {
		name string
		cfg  Config
		want func(c *fileSinkConfig) // changes to defaults
		bad  map[string][]string
	}{
		{name: "defaults", cfg: validFileSink, want: func(*fileSinkConfig) {}},
		{
			name: "every key set",
			cfg: with(validFileSink, "tasks.max", "4", "mode", "truncate", "fsync", "false", "max.bytes", "10",
				"ratio", "1", "errors.retry.timeout", "500", "database.port", "5432", "database.user", "app",
				"token", "tk", "converter", "a.B", "pattern", "c"),
			want: func(c *fileSinkConfig) {
				c.TasksMax, c.Mode, c.Fsync, c.MaxBytes, c.Ratio = 4, "truncate", false, 10, 1
				c.Timeout = 500 * time.Millisecond
				c.DB.Port, c.DB.User = 5432, "app"
				c.Token, c.Class, c.Pattern = "tk", "a.B", "c"
			},
		},
		{
			name: "blank values take the default",
			cfg:  with(validFileSink, "tasks.max", "", "mode", " ", "errors.retry.timeout", ""),
			want: func(*fileSinkConfig) {},
		},
		{
			name: "missing required keys",
			cfg:  Config{"topics": ",", "file": ""},
			bad: map[string][]string{
				"topics":            {"required"},
				"file":              {"required"},
				"database.hostname": {"required"},
			},
		},
		{
			name: "bad values",
			cfg: with(validFileSink, "tasks.max", "0", "mode", "x", "fsync", "maybe", "max.bytes", "1k",
				"ratio", "2", "errors.retry.timeout", "-1", "database.port", "70000", "topics", "Orders,a,b,c",
				"file", "/", "pattern", "cab"),
			bad: map[string][]string{
				"tasks.max":            {"must be > 0"},
				"mode":                 {"must be one of [append truncate]"},
				"fsync":                {"must be true or false"},
				"max.bytes":            {"must be an integer"},
				"ratio":                {"must be <= 1"},
				"errors.retry.timeout": {"must be >= 0"},
				"database.port":        {"must be <= 65535"},
				"topics":               {"must have at most 3 entries", `entry "Orders" must match ^[a-z][a-z0-9._-]*$`},
				"file":                 {"must have at least 2 characters"},
				"pattern":              {"must match ^(a,b|c{1,2})$"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got fileSinkConfig
			err := Decode(tt.cfg, &got)
			if tt.bad != nil {
				assertFields(t, err, tt.bad)
				if !reflect.DeepEqual(got, fileSinkConfig{}) {
					t.Errorf("Decode wrote the target of an invalid config: %+v", got)
				}
				if v := Validate(&fileSinkConfig{}, tt.cfg); !reflect.DeepEqual(v, tt.bad) {
					t.Errorf("Validate = %q, want Decode's %q", v, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			db := *defaults.DB
			want.DB = &db
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v %+v\nwant %+v %+v", got, *got.DB, want, *want.DB)
			}
			if v := Validate(&fileSinkConfig{}, tt.cfg); v == nil || len(v) != 0 {
				t.Errorf("Validate of a valid config = %#v, want an empty map", v)
			}
		})
	}
}

func TestDecodeOverwritesConfigFieldsOnly(t *testing.T) {
	db := &dbConfig{Host: "old", User: "old"}
	target := fileSinkConfig{Token: "stale", Class: "stale", Notes: "kept", Skipped: "kept", state: "kept", DB: db}
	if err := Decode(validFileSink, &target); err != nil {
		t.Fatal(err)
	}
	// Absent keys without a default read as the zero value, not as before.
	if target.Token != "" || target.Class != "" {
		t.Errorf("absent keys kept old values: token %q, converter %q", target.Token, target.Class)
	}
	if target.Notes != "kept" || target.Skipped != "kept" || target.state != "kept" {
		t.Errorf("Decode changed fields that are not config keys: %+v", target)
	}
	if target.DB != db || db.Host != "db1" || db.User != "root" {
		t.Errorf("nested struct: %p %+v, want the existing %p decoded", target.DB, target.DB, db)
	}
}

func TestDecodeTarget(t *testing.T) {
	for _, target := range []any{nil, fileSinkConfig{}, (*fileSinkConfig)(nil), new(int), new(*fileSinkConfig)} {
		err := Decode(validFileSink, target)
		var verr *ValidationError
		if err == nil || errors.As(err, &verr) || !strings.Contains(err.Error(), "non-nil pointer to a struct") {
			t.Errorf("Decode(%T) error = %v, want a plain error about the target", target, err)
		}
	}
}

func TestValidateIgnoresUnknownKeys(t *testing.T) {
	got := Validate(fileSinkConfig{}, with(validFileSink, "unknown", "x", "consumer.override.x", "y"))
	if got == nil || len(got) != 0 {
		t.Errorf("Validate = %#v, want an empty map", got)
	}
	if got := Validate(&fileSinkConfig{}, nil); len(got) != 3 {
		t.Errorf("Validate(nil config) = %q, want the three required keys", got)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := &ValidationError{Fields: map[string][]string{
		"tasks.max": {"must be > 0"},
		"file":      {"required"},
		"topics":    {"must have at most 3 entries", `entry "X" must match ^a$`},
	}}
	want := `invalid config: file: required; tasks.max: must be > 0; topics: must have at most 3 entries; topics: entry "X" must match ^a$`
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestMasked(t *testing.T) {
	cfg := with(validFileSink, "token", "tk", "database.user", "app")
	got := Masked(&fileSinkConfig{}, cfg)
	want := with(cfg, "database.password", "[hidden]", "token", "[hidden]")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Masked =\n%v\nwant\n%v", got, want)
	}
	if cfg["database.password"] != "pw" || cfg["token"] != "tk" {
		t.Errorf("Masked changed its input: %v", cfg)
	}
	// An absent password is not added; an empty one is hidden too.
	got = Masked(&fileSinkConfig{}, Config{"token": "", "file": "f"})
	if !reflect.DeepEqual(got, Config{"token": "[hidden]", "file": "f"}) {
		t.Errorf("Masked = %v", got)
	}
	if got := Masked(&fileSinkConfig{}, nil); got != nil {
		t.Errorf("Masked(nil) = %v, want nil", got)
	}
}

func TestPasswordNeverPrints(t *testing.T) {
	p := Password("s3cret")
	if p.Value() != "s3cret" {
		t.Errorf("Value() = %q", p.Value())
	}
	c := dbConfig{Host: "h", Password: p}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("open", "password", p, "config", c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("open", "password", p, "config", c)
	for _, s := range []string{
		fmt.Sprint(p), fmt.Sprintf("%s %v %q %+v %#v %x", p, p, p, c, c, p), string(js), logged.String(),
	} {
		if strings.Contains(s, "s3cret") || strings.Contains(s, hexOf("s3cret")) {
			t.Errorf("the password leaked: %s", s)
		}
		if !strings.Contains(s, "[hidden]") && !strings.Contains(s, hexOf("[hidden]")) {
			t.Errorf("no [hidden] in %s", s)
		}
	}
}

func hexOf(s string) string { return fmt.Sprintf("%x", s) }

// TestConcurrentUse runs Decode, Validate and Spec on a fresh type from many
// goroutines, for the race detector and the spec cache.
func TestConcurrentUse(t *testing.T) {
	target := func() any { return oneField(reflect.TypeFor[int](), `json:"n" default:"7" validate:"gt=0"`) }
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				v := target()
				if err := Decode(Config{"x": "1"}, v); err != nil {
					errs <- err
					return
				}
				if n := reflect.ValueOf(v).Elem().Field(0).Int(); n != 7 {
					errs <- fmt.Errorf("decoded %d, want 7", n)
					return
				}
				if bad := Validate(v, Config{"n": "-1"}); !slices.Equal(bad["n"], []string{"must be > 0"}) {
					errs <- fmt.Errorf("Validate = %v", bad)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkDecode shows what the spec cache buys: Decode runs at every task
// start.
func BenchmarkDecode(b *testing.B) {
	for b.Loop() {
		var c fileSinkConfig
		if err := Decode(validFileSink, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDefaults checks that the spec shows defaults the way Kafka Connect
// writes values, and that Decode applies them.
func TestDefaults(t *testing.T) {
	tests := []struct {
		typ     reflect.Type
		def     string
		shown   string
		decoded any
	}{
		{reflect.TypeFor[bool](), " TRUE", "true", true},
		{reflect.TypeFor[int](), " 07 ", "7", 7},
		{reflect.TypeFor[float64](), "1e2", "100", 100.0},
		{reflect.TypeFor[time.Duration](), "1m", "60000", time.Minute},
		{reflect.TypeFor[time.Duration](), "250", "250", 250 * time.Millisecond},
		{reflect.TypeFor[[]string](), "a, b,", "a,b", []string{"a", "b"}},
		{reflect.TypeFor[[]string](), "", "", []string(nil)}, // an explicit empty default
		{reflect.TypeFor[string](), "x y", "x y", "x y"},
		{reflect.TypeFor[Password](), "changeme", "[hidden]", Password("changeme")},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s=%q", tt.typ, tt.def), func(t *testing.T) {
			target := oneField(tt.typ, `json:"v" default:"`+tt.def+`"`)
			keys, err := Spec(target)
			if err != nil {
				t.Fatal(err)
			}
			if d := keys[0].DefaultValue; d == nil || *d != tt.shown {
				t.Errorf("DefaultValue = %v, want %q", d, tt.shown)
			}
			if err := Decode(Config{}, target); err != nil {
				t.Fatal(err)
			}
			if got := reflect.ValueOf(target).Elem().Field(0).Interface(); !reflect.DeepEqual(got, tt.decoded) {
				t.Errorf("decoded %#v, want %#v", got, tt.decoded)
			}
		})
	}
}
