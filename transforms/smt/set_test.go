package smt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// setChain opens a chain of one set step, alias s.
func setChain(t *testing.T, fields string) *Chain {
	t.Helper()
	return chainOf(t, "transforms", "s", "transforms.s.type", "set", "transforms.s.fields", fields)
}

// TestSetWarehouseGolden: the assignments the warehouse's SQL makes, each
// on the records it meets, output byte for byte: a field that exists keeps
// its place, a new one is appended.
func TestSetWarehouseGolden(t *testing.T) {
	cases := []struct {
		name, fields string
		in, want     []string // values in, and out
	}{
		{
			name:   "user_id = coalesce(user_id, -1)",
			fields: "user_id=coalesce(user_id, -1)",
			in:     []string{`{"user_id":1001,"x":1}`, `{"user_id":null,"x":1}`, `{"x":1}`, `{"user_id":"","x":1}`},
			want:   []string{`{"user_id":1001,"x":1}`, `{"user_id":-1,"x":1}`, `{"x":1,"user_id":-1}`, `{"user_id":"","x":1}`},
		},
		{
			name:   "event = concat(event, '_AUDIO_STATE')",
			fields: "event=concat(event, '_AUDIO_STATE')",
			in:     []string{`{"event":"JOIN"}`, `{"event":5}`, `{"event":null}`, `{}`},
			// SQL's CONCAT: null when an argument is null.
			want: []string{`{"event":"JOIN_AUDIO_STATE"}`, `{"event":"5_AUDIO_STATE"}`, `{"event":null}`, `{"event":null}`},
		},
		{
			name:   "attribution_time = date_format(confirm_date_time, 'yyyy-MM-dd')",
			fields: "attribution_time=date_format(confirm_date_time, 'yyyy-MM-dd')",
			in: []string{`{"confirm_date_time":"2021-03-01 23:30:00"}`, `{"confirm_date_time":"2021-03-01 23:30:00.250"}`,
				`{"confirm_date_time":1614641400000}`, `{"confirm_date_time":"2021-03-01T23:30:00+08:00"}`, `{"confirm_date_time":null}`},
			want: []string{`{"confirm_date_time":"2021-03-01 23:30:00","attribution_time":"2021-03-01"}`,
				`{"confirm_date_time":"2021-03-01 23:30:00.250","attribution_time":"2021-03-01"}`,
				`{"confirm_date_time":1614641400000,"attribution_time":"2021-03-01"}`,
				`{"confirm_date_time":"2021-03-01T23:30:00+08:00","attribution_time":"2021-03-01"}`,
				`{"confirm_date_time":null,"attribution_time":null}`},
		},
		{
			name:   "level = CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END",
			fields: "level=CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END",
			in:     []string{`{"level":"B"}`, `{"level":"Z"}`, `{"level":null}`, `{"id":1}`},
			want:   []string{`{"level":"B"}`, `{"level":"other"}`, `{"level":"other"}`, `{"id":1,"level":"other"}`},
		},
		{
			name:   "rowkey = md5(channel_id)",
			fields: "rowkey=md5(channel_id)",
			in:     []string{`{"channel_id":7}`, `{"channel_id":"7"}`, `{"channel_id":null}`},
			want: []string{`{"channel_id":7,"rowkey":"8f14e45fceea167a5a36dedd4bea2543"}`,
				`{"channel_id":"7","rowkey":"8f14e45fceea167a5a36dedd4bea2543"}`, `{"channel_id":null,"rowkey":null}`},
		},
		{
			// The agora audio job of the seed: its CASEs and CONCAT in one step.
			name: "agora audio state",
			fields: "user_id = CASE WHEN `userId` is NULL THEN -1 else userId END," +
				" web_server_id = CASE WHEN `agoraChannelId` is NULL THEN -1 else agoraChannelId END," +
				" classroom_id = CASE WHEN `classroomId` is NULL THEN -1 else classroomId END," +
				" event = CONCAT(event,'_AUDIO_STATE')",
			in: []string{`{"classroomId":"c-9","userId":1001,"agoraChannelId":null,"event":"AGORA"}`},
			want: []string{`{"classroomId":"c-9","userId":1001,"agoraChannelId":null,"event":"AGORA_AUDIO_STATE",` +
				`"user_id":1001,"web_server_id":-1,"classroom_id":"c-9"}`},
		},
		{
			// The registration-level job of the seed: the hourly key of a
			// level, as its GROUP BY and its lookup of the channel spell it.
			name: "registration level",
			fields: "levels = case when level in ('A','B','C','D') then level else 'other' end," +
				" reg_date = cast(date_format(register_date_time,'yyyyMMddHH') as bigint)," +
				" uk = concat(date_format(register_date_time,'yyyyMMddHH'), levels)," +
				" rowkey = MD5(channel_id)",
			in: []string{`{"register_date_time":"2021-03-01 10:15:00","level":"E","channel_id":42}`},
			want: []string{`{"register_date_time":"2021-03-01 10:15:00","level":"E","channel_id":42,` +
				`"levels":"other","reg_date":2021030110,"uk":"2021030110other","rowkey":"a1d0c6e83f027327d8461063f4ac58a6"}`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := setChain(t, tc.fields)
			for i, in := range tc.in {
				r, ok := one(t, ch, in)
				if !ok || r.Fault != nil {
					t.Fatalf("%s: kept %v, fault %v", in, ok, r.Fault)
				}
				if string(r.Value) != tc.want[i] {
					t.Errorf("%s:\n got %s\nwant %s", in, r.Value, tc.want[i])
				}
				if r.Topic != "" || string(r.Key) != "k" {
					t.Errorf("%s: topic %q key %q changed", in, r.Topic, r.Key)
				}
			}
		})
	}
}

// TestSetAppliesInOrder: each assignment sees what the ones before it set.
func TestSetAppliesInOrder(t *testing.T) {
	ch := setChain(t, "a = concat(b, '1'), c = concat(a, '2'), b = 'new', d = concat(b, a), a = upper(a)")
	r, _ := one(t, ch, `{"b":"old"}`)
	if want := `{"b":"new","a":"OLD1","c":"old12","d":"newold1"}`; string(r.Value) != want {
		t.Errorf("got %s, want %s", r.Value, want)
	}
}

// TestSetRefusesValuesFunctionsCannotTake: the record comes back as it
// came, with a fault naming the step, the field and the reason.
func TestSetRefusesValuesFunctionsCannotTake(t *testing.T) {
	ch := setChain(t, "ok = 'set', n = cast(n as long), day = date_format(t, 'yyyy-MM-dd')")
	for _, tc := range []struct{ in, fault string }{
		{`{"n":"abc","t":"2021-03-01"}`, `transform s (set): n: cast: "abc" is not a long`},
		{`{"n":"12","t":"soon"}`, `transform s (set): day: date_format: "soon" is not a time (epoch millis, yyyy-MM-dd, yyyy-MM-dd HH:mm:ss[.SSS] or RFC 3339)`},
		{`{"n":1.5,"t":0}`, `transform s (set): n: cast: number 1.5 is not a long`},
	} {
		r, ok := one(t, ch, tc.in)
		if !ok || r.Fault == nil || r.Fault.Error() != tc.fault {
			t.Errorf("%s: fault %v, want %q", tc.in, r.Fault, tc.fault)
			continue
		}
		if string(r.Value) != tc.in {
			t.Errorf("%s: a refused record changed to %s", tc.in, r.Value)
		}
	}
	if r, _ := one(t, ch, `{"n":"12","t":"2021-03-01 10:00:00"}`); r.Fault != nil || string(r.Value) != `{"n":12,"t":"2021-03-01 10:00:00","ok":"set","day":"2021-03-01"}` {
		t.Errorf("a good record: %s, %v", r.Value, r.Fault)
	}
}

// TestSetWritesValidJSON: computed text with quotes, backslashes, control
// characters and non-ASCII is escaped; nested objects pass through.
func TestSetWritesValidJSON(t *testing.T) {
	ch := setChain(t, `q = concat(s, '"\\', "\n", '测试'), o2 = o, l = lower(o)`)
	r, _ := one(t, ch, `{"s":"a\"b","o":{"K":[1,"x"]}}`)
	if want := `{"s":"a\"b","o":{"K":[1,"x"]},"q":"a\"b\"\\\n测试","o2":{"K":[1,"x"]},"l":"{\"k\":[1,\"x\"]}"}`; string(r.Value) != want {
		t.Errorf("got  %s\nwant %s", r.Value, want)
	}
	if !json.Valid(r.Value) {
		t.Errorf("not JSON: %s", r.Value)
	}
}

// TestSetOverABatch: texts a step computes stay right in every record of a
// batch, though the step writes them all into the same memory.
func TestSetOverABatch(t *testing.T) {
	ch := setChain(t, "key = concat(name, '-', md5(id)), day = date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Shanghai')")
	var in []sdk.Record
	for i := range 500 {
		v := fmt.Sprintf(`{"id":%d,"name":"%s","ts":%d}`, i, strings.Repeat("n", i%40), 1614564000000+int64(i)*1001)
		in = append(in, sdk.Record{Topic: "ods.x", Value: []byte(v)})
	}
	out, err := ch.Process(context.Background(), in)
	if err != nil || len(out) != len(in) {
		t.Fatalf("%d records, %v", len(out), err)
	}
	want := setChain(t, "key = concat(name, '-', md5(id)), day = date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Shanghai')")
	for i := range out {
		r, _ := one(t, want, string(in[i].Value)) // each alone, in a chain of its own
		if out[i].Fault != nil || string(out[i].Value) != string(r.Value) {
			t.Fatalf("record %d: %s (%v), alone %s", i, out[i].Value, out[i].Fault, r.Value)
		}
	}
	if got := string(out[499].Value); got != `{"id":499,"name":"`+strings.Repeat("n", 19)+`","ts":1614564499499,"key":"`+strings.Repeat("n", 19)+`-`+"3cf166c6b73f030b4f67eeaeba301103"+`","day":"2021-03-01 10:08:19.499"}` {
		t.Errorf("last record: %s", got)
	}
}

func TestSetPassesTombstones(t *testing.T) {
	ch := setChain(t, "a = 1")
	out, err := ch.Process(context.Background(), []sdk.Record{{Topic: "t", Key: []byte("k")}})
	if err != nil || len(out) != 1 || out[0].Value != nil || out[0].Fault != nil {
		t.Fatalf("tombstone: %+v %v", out, err)
	}
}

// TestSetConfigProblems: config/validate puts a set step's problems on its
// fields key, with the position in it.
func TestSetConfigProblems(t *testing.T) {
	for _, tc := range []struct {
		fields  string
		message string
	}{
		{"", "required"},
		{"a = concat(b", `at 13: expected "," or ")" in the arguments of concat, found end of input`},
		{"a = 1, b", `at 9: expected "=" after the field name "b", found end of input`},
		{"a = cast('x' as long)", `at 5: cast: "x" is not a long`},
		{"a = date_format(t, 'yyyy', 'Mars/Base')", `unknown time zone`},
		{"a = nope(1)", "unknown function"},
	} {
		cfg := sdk.Config{"topic": "out", "transforms": "s", "transforms.s.type": "set", "transforms.s.fields": tc.fields}
		problems := Plugin.Problems(cfg)
		if msgs := problems["transforms.s.fields"]; !strings.Contains(strings.Join(msgs, "; "), tc.message) {
			t.Errorf("fields %q: problems %v, want transforms.s.fields to say %q", tc.fields, problems, tc.message)
		}
	}
	cfg := sdk.Config{"topic": "out", "transforms": "s", "transforms.s.type": "set", "transforms.s.fields": "a = 1", "transforms.s.field.a": "1"}
	if msgs := Plugin.Problems(cfg)["transforms.s.field.a"]; !strings.Contains(strings.Join(msgs, "; "), "no such key") {
		t.Errorf("an unknown key: %v", Plugin.Problems(cfg))
	}
}
