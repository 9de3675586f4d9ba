package join

import (
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// TestConfigErrors: each mistake is reported on its key.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		cfg       map[string]string
		key, want string
	}{
		{map[string]string{"left.topics": "user"}, "right.topics", "named twice"},
		{map[string]string{"right.topics": "users"}, "right.topics", "not one of topics"},
		{map[string]string{"topics": "student,user,extra"}, "topics", "extra is in none"},
		{map[string]string{"left.fields": "id:long,id"}, "left.fields", "named twice"},
		{map[string]string{"left.fields": "id:wat"}, "left.fields", "unknown type"},
		{map[string]string{"left.key.fields": "nope"}, "left.key.fields", "not one of left.fields"},
		{map[string]string{"right.key.fields": ""}, "right.key.fields", "both, or neither"},
		{map[string]string{"right.key.fields": "id,name"}, "right.key.fields", "2 fields for the 1"},
		{map[string]string{"right.fields": "id,name"}, "right.key.fields", "keys of two types never match"},
		{map[string]string{"join.type": "full"}, "join.type", ""},
		{map[string]string{"output.fields": "id = left.nope"}, "output.fields", "not one of left.fields"},
		{map[string]string{"output.fields": "a = b, b = left.id"}, "output.fields", "assigned before"},
		{map[string]string{"output.fields": "left.x = left.id"}, "output.fields", "prefixes"},
		{map[string]string{"output.fields": "id = lookup.level"}, "output.fields", "no lookup is set"},
		{map[string]string{"output.fields": "id = (("}, "output.fields", ""},
		{map[string]string{"where": "x = 1"}, "where", "x is not an input"},
		{map[string]string{"where": "a = "}, "where", ""},
		{map[string]string{"output.key.fields": "zz"}, "output.key.fields", "not one of output.fields"},
		{map[string]string{"output.key.fields": "id,id"}, "output.key.fields", "named twice"},
		{map[string]string{"lookup.table": "dict"}, "lookup.connection.url", "required when a lookup is set"},
		{map[string]string{"lookup.topics": "dim", "topics": "student,user,dim"}, "lookup.topics", "set the lookup"},
		{lookupConfig(map[string]string{"lookup.columns": ""}), "lookup.columns", "required"},
		{lookupConfig(map[string]string{"lookup.columns": "level,level"}), "lookup.columns", "named twice"},
		{lookupConfig(map[string]string{"lookup.key": "md5(lookup.level)"}), "lookup.key", "not a field of left.fields or right.fields"},
		{lookupConfig(map[string]string{"lookup.key": "md5("}), "lookup.key", ""},
		{lookupConfig(map[string]string{"lookup.cache.ttl.ms": "0"}), "lookup.cache.ttl.ms", ""},
		{map[string]string{"state.ttl.ms": "-1"}, "state.ttl.ms", ""},
	}
	for _, tc := range cases {
		cfg := configOf(tc.cfg)
		_, err := compile(cfg)
		if err == nil {
			t.Errorf("%v: no error", tc.cfg)
			continue
		}
		problems := Plugin.ValidateConfig(cfg)
		if len(problems) == 0 {
			problems = sdk.Validate(&Config{}, cfg)
		}
		msgs, ok := problems[tc.key]
		if !ok || !strings.Contains(strings.Join(msgs, "; "), tc.want) {
			t.Errorf("%v: problems %v, want one on %s mentioning %q", tc.cfg, problems, tc.key, tc.want)
		}
	}
	if _, err := compile(configOf(lookupConfig(nil))); err != nil {
		t.Errorf("the lookup config: %v", err)
	}
	if problems := Plugin.ValidateConfig(configOf(nil)); len(problems) > 0 {
		t.Errorf("the base config: %v", problems)
	}
}

// lookupConfig is a lookup of channel levels changed by cfg; the URL is a
// placeholder.
func lookupConfig(cfg map[string]string) map[string]string {
	m := map[string]string{
		"lookup.connection.url": "postgres://127.0.0.1:1/none", "lookup.table": "channel_name_dictionary",
		"lookup.key.column": "rowkey", "lookup.columns": "level", "lookup.key": "md5(left.channel_id)",
		"output.fields": "id = left.id, level = coalesce(lookup.level, 'other')",
	}
	for k, v := range cfg {
		m[k] = v
	}
	return m
}

// The descriptor is sound, job 6's config has no problems, and the
// password never shows.
func TestPlugin(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	if problems := Plugin.Problems(job6Join); len(problems) > 0 {
		t.Fatalf("job 6: %v", problems)
	}
	cfg := configOf(lookupConfig(map[string]string{"lookup.connection.password": "secret"}))
	if m := Plugin.Mask(cfg); m["lookup.connection.password"] == "secret" {
		t.Fatal("the lookup password shows")
	}
}
