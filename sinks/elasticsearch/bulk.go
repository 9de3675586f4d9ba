package elasticsearch

import (
	"maps"
	"strconv"

	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// action is what a bulk item does to its document.
type action uint8

const (
	actIndex  action = iota // replace the whole document
	actUpdate               // merge fields in, creating the document if missing
	actDelete
)

func (a action) String() string {
	switch a {
	case actIndex:
		return "index"
	case actUpdate:
		return "update"
	}
	return "delete"
}

// op is what one record does to one document.
type op struct {
	act   action
	index string
	id    string
	doc   map[string]any // nil for deletes
}

// item is one bulk action: the ops of one or more records on the same
// document, folded in order.
type item struct {
	op   op
	recs []int  // indexes of the records folded in, ascending
	body []byte // the action line and, but for deletes, the source line
}

// docKey names a document across indices.
type docKey struct{ index, id string }

// foldOps turns the ops of a batch into one item per document (in the order
// documents first appear), so a bulk request never holds two actions on one
// document: a retry of one of them could otherwise undo a later one. ops[i]
// belongs to record base+i; nil ops are skipped.
func foldOps(ops []*op, base int) []*item {
	var items []*item
	byDoc := map[docKey]*item{}
	for i, o := range ops {
		if o == nil {
			continue
		}
		k := docKey{o.index, o.id}
		it := byDoc[k]
		if it == nil {
			it = &item{op: *o}
			byDoc[k] = it
			items = append(items, it)
		} else {
			it.op = foldOp(it.op, *o)
		}
		it.recs = append(it.recs, base+i)
	}
	return items
}

// foldOp is the single action equivalent to cur followed by next, on the
// same document.
func foldOp(cur, next op) op {
	if next.act != actUpdate {
		return next // a delete or a whole replacement ends what came before
	}
	switch cur.act {
	case actDelete:
		// The document is gone, so the update creates it from its doc.
		return op{act: actIndex, index: next.index, id: next.id, doc: next.doc}
	case actIndex:
		return op{act: actIndex, index: next.index, id: next.id, doc: deepMerge(cur.doc, next.doc)}
	}
	return op{act: actUpdate, index: next.index, id: next.id, doc: deepMerge(cur.doc, next.doc)}
}

// deepMerge merges src into a copy of dst the way Elasticsearch merges an
// update's doc: objects field by field, anything else (arrays too) replaced.
func deepMerge(dst, src map[string]any) map[string]any {
	out := maps.Clone(dst)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if old, ok := out[k].(map[string]any); ok {
				out[k] = deepMerge(old, sub)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// retryOnConflict lets Elasticsearch retry an update itself when another
// writer changed the document between its read and its write.
const retryOnConflict = 3

// encode builds the item's NDJSON lines. Names and ids go through the JSON
// string encoder and documents through encoding/json, so any field content
// gives valid lines (a newline in a value is escaped, never a line break).
func (it *item) encode() error {
	o := &it.op
	b := make([]byte, 0, 128)
	b = append(b, `{"`...)
	b = append(b, o.act.String()...)
	b = append(b, `":{"_index":`...)
	b = sdk.AppendJSONString(b, o.index)
	b = append(b, `,"_id":`...)
	b = sdk.AppendJSONString(b, o.id)
	if o.act == actUpdate {
		b = append(b, `,"retry_on_conflict":`...)
		b = strconv.AppendInt(b, retryOnConflict, 10)
	}
	b = append(b, "}}\n"...)
	if o.act != actDelete {
		doc, err := record.Encode(o.doc)
		if err != nil {
			return err
		}
		if o.act == actUpdate {
			b = append(b, `{"doc":`...)
			b = append(b, doc...)
			b = append(b, `,"doc_as_upsert":true}`...)
		} else {
			b = append(b, doc...)
		}
		b = append(b, '\n')
	}
	it.body = b
	return nil
}
