package hbase

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"testing"

	"github.com/tsuna/gohbase"
	"github.com/tsuna/gohbase/hrpc"
	"github.com/tsuna/gohbase/pb"
	"github.com/tsuna/gohbase/test/mock"
	"go.uber.org/mock/gomock"
)

// TestWithGohbaseMock drives the sink against gohbase's own generated mock of
// gohbase.Client (test/mock): the one SendBatch it expects must carry a put
// and a delete of the md5 row keys, to the dictionary table and family.
func TestWithGohbaseMock(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mock.NewMockClient(ctrl)
	client.EXPECT().Close().AnyTimes()
	rowKey := func(id string) string { sum := md5.Sum([]byte(id)); return hex.EncodeToString(sum[:]) }

	var calls []hrpc.Call
	client.EXPECT().SendBatch(gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ context.Context, batch []hrpc.Call) ([]hrpc.RPCResult, bool) {
			calls = append(calls, batch...)
			return make([]hrpc.RPCResult, len(batch)), true
		}).MinTimes(1)

	s := &Sink{newClient: func(string, ...gohbase.Option) gohbase.Client { return client }}
	if err := s.Open(ctx, baseConfig()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeAll(t, s,
		rec(0, "", `{"id":"7","level":"A","channel_name":"班级"}`),
		rec(1, "", `{"op":"d","before":{"id":"8"},"after":null}`),
	)

	var puts, deletes []string
	for _, c := range calls {
		if string(c.Table()) != dimTable {
			t.Errorf("call to table %q, want %q", c.Table(), dimTable)
		}
		switch m := c.(type) {
		case *hrpc.Mutate:
			switch kind := m.Description(); kind {
			case pb.MutationProto_PUT.String():
				puts = append(puts, string(m.Key()))
				if v := m.Values()["f"]; string(v["level"]) != "A" || string(v["channel_name"]) != "班级" || string(v["id"]) != "7" {
					t.Errorf("put cells %q, want id, level and channel_name in family f", v)
				}
			case pb.MutationProto_DELETE.String():
				deletes = append(deletes, string(m.Key()))
			default:
				t.Errorf("unexpected mutation type %v", kind)
			}
		default:
			t.Errorf("unexpected call %T", c)
		}
	}
	if len(puts) != 1 || puts[0] != rowKey("7") {
		t.Errorf("puts %q, want the row key md5(7) = %s", puts, rowKey("7"))
	}
	if len(deletes) != 1 || deletes[0] != rowKey("8") {
		t.Errorf("deletes %q, want the row key md5(8) = %s", deletes, rowKey("8"))
	}
}
