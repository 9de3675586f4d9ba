package join

import (
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

// The records of lookup.topics: a plain row or an envelope's after is the
// dimension row of its key, a delete event or a tombstone deletes it; the
// key is the Kafka key's text, or lookup.topic.key.field of the row.
func TestDimensionRecords(t *testing.T) {
	cases := []struct {
		keyField, key, value string // value "-": a tombstone
		want, err            string
	}{
		{"", "k1", `{"id":"1","level":"A","rowkey":"k1","x":[1]}`, `k1 put ["1","A"]`, ""},
		{"", "k1", `{"id":1,"level":null}`, `k1 put [1,null]`, ""},
		{"", "k1", `{"op":"u","before":{"level":"B"},"after":{"id":"1","level":"A"}}`, `k1 put ["1","A"]`, ""},
		{"", "k1", `{"op":"d","before":{"id":"1","level":"A"},"after":null}`, `k1 delete`, ""},
		{"", "k1", "-", `k1 delete`, ""},
		{"rowkey", "ignored", `{"id":"1","level":"A","rowkey":"k2"}`, `k2 put ["1","A"]`, ""},
		{"rowkey", "", `{"op":"d","before":{"rowkey":"k3"},"after":null}`, `k3 delete`, ""},
		{"rowkey", "k4", "-", `k4 delete`, ""},
		{"level", "", `{"id":"1","level":"A"}`, `A put ["1","A"]`, ""},
		{"", "", `{"id":"1","level":"A"}`, "", "no key to name its dimension row"},
		{"", "", "-", "", "tombstone without a key"},
		{"rowkey", "k", `{"id":"1","level":"A"}`, "", "key field rowkey is null"},
		{"rowkey", "k", `{"op":"d","before":null,"after":{"id":1}}`, "", "delete event without before"},
		{"", "k", `{"op":"u","before":{"id":1},"after":null}`, "", "without after"},
		{"", "k", `{"id":`, "", "unexpected end"},
		{"", "k", `{"id":{"a":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}}`, "", "deep"},
	}
	for _, tc := range cases {
		cfg := lookupConfig(map[string]string{"topics": "student,user,dim", "lookup.topics": "dim", "lookup.columns": "id,level", "value.max.depth": "8"})
		if tc.keyField != "" {
			cfg["lookup.topic.key.field"] = tc.keyField
		}
		p, err := compile(configOf(cfg))
		if err != nil {
			t.Fatal(err)
		}
		r := sdk.Record{Topic: "dim", Key: []byte(tc.key)}
		if tc.value != "-" {
			r.Value = []byte(tc.value)
		}
		var before, after value.Row
		h, err := p.lookup.read(&r, &before, &after)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: %v, want an error mentioning %q", tc.key, tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.key, tc.value, err)
			continue
		}
		got := h.key + " delete"
		if h.values != nil {
			got = h.key + " put " + string(h.values[1].AppendJSON(append(h.values[0].AppendJSON([]byte("[")), ','))) + "]"
		}
		if got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.key, tc.value, got, tc.want)
		}
	}
}

// A dimension row's values and key are copies: the record's memory is the
// runtime's to reuse once Process returns, and the cache keeps them.
func TestDimensionRecordsAreCopied(t *testing.T) {
	cfg := lookupConfig(map[string]string{"topics": "student,user,dim", "lookup.topics": "dim", "lookup.topic.key.field": "rowkey"})
	p, err := compile(configOf(cfg))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"level":"A","rowkey":"k1"}`)
	var before, after value.Row
	h, err := p.lookup.read(&sdk.Record{Topic: "dim", Value: data}, &before, &after)
	if err != nil {
		t.Fatal(err)
	}
	copy(data, `{"level":"Z","rowkey":"zz"}`)
	if h.key != "k1" || h.values[0].Text() != "A" {
		t.Fatalf("the hint changed with the record's memory: %q %v", h.key, h.values)
	}
}
