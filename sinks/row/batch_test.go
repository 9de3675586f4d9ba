package row

import (
	"reflect"
	"testing"
)

// upsert and del build changes of a table (id, a, b) keyed by id.
func upsert(id int64, cols map[int]any) Change {
	c := Change{Values: make([]any, 3), Present: make([]bool, 3)}
	c.Values[0], c.Present[0] = id, true
	for i, v := range cols {
		c.Values[i], c.Present[i] = v, true
	}
	return c
}

func del(id int64) Change {
	return Change{Delete: true, Values: []any{id, nil, nil}, Present: []bool{true, false, false}}
}

func TestBatchModes(t *testing.T) {
	tests := []struct {
		name    string
		mode    Mode
		changes []Change
		want    []Group
	}{
		{
			name:    "update merges partial rows, last value wins",
			mode:    ModeUpdate,
			changes: []Change{upsert(1, map[int]any{1: "x"}), upsert(2, map[int]any{1: "y"}), upsert(1, map[int]any{2: "z"}), upsert(1, map[int]any{1: "x2"})},
			want:    []Group{{Columns: []int{0, 1, 2}, Rows: [][]any{{int64(1), "x2", "z"}}}, {Columns: []int{0, 1}, Rows: [][]any{{int64(2), "y"}}}},
		},
		{
			name:    "replace keeps only the last row",
			mode:    ModeReplace,
			changes: []Change{upsert(1, map[int]any{1: "x", 2: "w"}), upsert(1, map[int]any{2: "z"})},
			want:    []Group{{Columns: []int{0, 2}, Rows: [][]any{{int64(1), "z"}}}},
		},
		{
			name:    "ignore keeps the first row",
			mode:    ModeIgnore,
			changes: []Change{upsert(1, map[int]any{1: "first"}), upsert(1, map[int]any{1: "second"})},
			want:    []Group{{Columns: []int{0, 1}, Rows: [][]any{{int64(1), "first"}}}},
		},
		{
			name:    "upsert then delete deletes",
			mode:    ModeUpdate,
			changes: []Change{upsert(1, map[int]any{1: "x"}), del(1)},
			want:    []Group{{Delete: true, Columns: []int{0}, Rows: [][]any{{int64(1)}}}},
		},
		{
			name:    "delete then partial upsert removes the old row first",
			mode:    ModeUpdate,
			changes: []Change{del(1), upsert(1, map[int]any{2: "z"}), del(2)},
			want: []Group{
				{Delete: true, Columns: []int{0}, Rows: [][]any{{int64(1)}, {int64(2)}}},
				{Columns: []int{0, 2}, Rows: [][]any{{int64(1), "z"}}},
			},
		},
		{
			name:    "append keeps every row",
			mode:    ModeAppend,
			changes: []Change{upsert(1, map[int]any{1: "x"}), upsert(1, map[int]any{1: "x"})},
			want:    []Group{{Columns: []int{0, 1}, Rows: [][]any{{int64(1), "x"}, {int64(1), "x"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBatch(tt.mode, []int{0})
			for _, c := range tt.changes {
				b.Add(c)
			}
			if got := b.Groups(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("groups\n got %#v\nwant %#v", got, tt.want)
			}
			if b.Added() != len(tt.changes) {
				t.Errorf("Added = %d, want %d", b.Added(), len(tt.changes))
			}
			b.Reset()
			if b.Len() != 0 || len(b.Groups()) != 0 || b.Added() != 0 {
				t.Error("Reset left rows behind")
			}
		})
	}
}

func TestBatchKeysDistinguishTypesAndBoundaries(t *testing.T) {
	b := NewBatch(ModeUpdate, []int{0, 1})
	row := func(a, c any) Change {
		return Change{Values: []any{a, c, nil}, Present: []bool{true, true, false}}
	}
	b.Add(row("a\x00", "b"))
	b.Add(row("a", "\x00b"))
	b.Add(row(int64(1), "x"))
	b.Add(row("1", "x"))
	if b.Len() != 4 {
		t.Errorf("distinct keys collapsed: %d rows, want 4", b.Len())
	}
}

// A one-column key given as an int64 is merged as the encoded keys are:
// only with equal int64 values, never with the same number as text, and
// not across a Reset.
func TestBatchIntKeys(t *testing.T) {
	b := NewBatch(ModeUpdate, []int{0})
	b.Add(upsert(1, map[int]any{1: "a"}))
	b.Add(Change{Values: []any{"1", "text key", nil}, Present: []bool{true, true, false}})
	b.Add(upsert(1, map[int]any{2: "b"}))
	want := []Group{
		{Columns: []int{0, 1, 2}, Rows: [][]any{{int64(1), "a", "b"}}},
		{Columns: []int{0, 1}, Rows: [][]any{{"1", "text key"}}},
	}
	if got := b.Groups(); !reflect.DeepEqual(got, want) {
		t.Errorf("groups\n got %#v\nwant %#v", got, want)
	}
	b.Reset()
	b.Add(upsert(1, map[int]any{1: "c"}))
	if got := b.Groups(); !reflect.DeepEqual(got, []Group{{Columns: []int{0, 1}, Rows: [][]any{{int64(1), "c"}}}}) {
		t.Errorf("after Reset: %#v", got)
	}
}
