package hbase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tsuna/gohbase"
	"github.com/tsuna/gohbase/hrpc"
)

// fakeHBase is a gohbase.Client that keeps tables in memory. No HBase runs
// on these machines, and gohbase's own mocks (go.uber.org/mock) are not a
// dependency of this module; a fake that models the table state lets the
// tests assert what a reader would see, not only which calls were made.
type fakeHBase struct {
	mu sync.Mutex
	// tables: table → families it was created with.
	tables map[string]map[string]bool
	// rows: table → row → "family:qualifier" → value.
	rows map[string]map[string]map[string]string
	// calls in the order they were applied; batches holds the size of
	// every SendBatch.
	calls   []fakeCall
	batches []int
	// fail, when set, decides the outcome of each call before it is applied.
	fail   func(ctx context.Context, c fakeCall) error
	closed bool
	// quorum and options count what the sink built the client with.
	quorum  string
	options int
}

type fakeCall struct {
	Kind  string // "put" or "delete"
	Table string
	Row   string
	// Cells are the put's "family:qualifier" → value, or for a delete the
	// families it removes ("family:" entries with an empty value).
	Cells map[string]string
	At    time.Time
}

func (c fakeCall) String() string {
	keys := make([]string, 0, len(c.Cells))
	for k := range c.Cells {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if c.Kind == "delete" {
			parts = append(parts, k)
		} else {
			parts = append(parts, k+"="+c.Cells[k])
		}
	}
	return fmt.Sprintf("%s %s/%s {%s}", c.Kind, c.Table, c.Row, strings.Join(parts, " "))
}

// newFake creates tables, each with the given families.
func newFake(families []string, tables ...string) *fakeHBase {
	f := &fakeHBase{tables: map[string]map[string]bool{}, rows: map[string]map[string]map[string]string{}}
	for _, t := range tables {
		f.tables[t] = map[string]bool{}
		for _, fam := range families {
			f.tables[t][fam] = true
		}
		f.rows[t] = map[string]map[string]string{}
	}
	return f
}

func (f *fakeHBase) newClient(quorum string, options ...gohbase.Option) gohbase.Client {
	f.quorum, f.options = quorum, len(options)
	return f
}

// SendBatch applies the calls in order, as a region server applies the calls
// of one region.
func (f *fakeHBase) SendBatch(ctx context.Context, batch []hrpc.Call) ([]hrpc.RPCResult, bool) {
	f.mu.Lock()
	f.batches = append(f.batches, len(batch))
	fail := f.fail
	f.mu.Unlock()
	res := make([]hrpc.RPCResult, len(batch))
	allOK := true
	for i, call := range batch {
		m, ok := call.(*hrpc.Mutate)
		if !ok {
			res[i].Error = fmt.Errorf("fake: unexpected %T", call)
			allOK = false
			continue
		}
		c := toFakeCall(m)
		if fail != nil {
			if err := fail(m.Context(), c); err != nil {
				res[i].Error = err
				allOK = false
				continue
			}
		}
		if err := f.apply(c); err != nil {
			res[i].Error = err
			allOK = false
		}
	}
	return res, allOK
}

func toFakeCall(m *hrpc.Mutate) fakeCall {
	c := fakeCall{Table: string(m.Table()), Row: string(m.Key()), Cells: map[string]string{}, At: time.Now()}
	switch m.Description() {
	case "PUT":
		c.Kind = "put"
	case "DELETE":
		c.Kind = "delete"
	default:
		c.Kind = m.Description()
	}
	for fam, quals := range m.Values() {
		if c.Kind == "delete" && len(quals) == 0 {
			c.Cells[fam+":"] = ""
			continue
		}
		for q, v := range quals {
			c.Cells[fam+":"+q] = string(v)
		}
	}
	return c
}

func (f *fakeHBase) apply(c fakeCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fams, ok := f.tables[c.Table]
	if !ok {
		return gohbase.TableNotFound
	}
	for k := range c.Cells {
		if fam, _, _ := strings.Cut(k, ":"); !fams[fam] {
			return fmt.Errorf("HBase Java exception org.apache.hadoop.hbase.regionserver.NoSuchColumnFamilyException: Column family %s does not exist in region %s", fam, c.Table)
		}
	}
	f.calls = append(f.calls, c)
	rows := f.rows[c.Table]
	switch c.Kind {
	case "put":
		if rows[c.Row] == nil {
			rows[c.Row] = map[string]string{}
		}
		maps.Copy(rows[c.Row], c.Cells)
	case "delete":
		if len(c.Cells) == 0 {
			delete(rows, c.Row)
			break
		}
		for fam := range c.Cells {
			for k := range rows[c.Row] {
				if strings.HasPrefix(k, fam) {
					delete(rows[c.Row], k)
				}
			}
		}
		if len(rows[c.Row]) == 0 {
			delete(rows, c.Row)
		}
	default:
		return fmt.Errorf("fake: unexpected mutation %s", c.Kind)
	}
	return nil
}

// state returns a copy of a table's rows.
func (f *fakeHBase) state(table string) map[string]map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]string{}
	for row, cells := range f.rows[table] {
		out[row] = maps.Clone(cells)
	}
	return out
}

// log returns the applied calls as text, in order.
func (f *fakeHBase) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.String()
	}
	return out
}

func (f *fakeHBase) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.batches = nil, nil
}

var errNotUsed = errors.New("fake: not used by the sink")

func (f *fakeHBase) Put(p *hrpc.Mutate) (*hrpc.Result, error) {
	res, _ := f.SendBatch(p.Context(), []hrpc.Call{p})
	return &hrpc.Result{}, res[0].Error
}

func (f *fakeHBase) Delete(d *hrpc.Mutate) (*hrpc.Result, error) {
	res, _ := f.SendBatch(d.Context(), []hrpc.Call{d})
	return &hrpc.Result{}, res[0].Error
}

func (f *fakeHBase) Scan(*hrpc.Scan) hrpc.Scanner              { return nil }
func (f *fakeHBase) Get(*hrpc.Get) (*hrpc.Result, error)       { return nil, errNotUsed }
func (f *fakeHBase) Append(*hrpc.Mutate) (*hrpc.Result, error) { return nil, errNotUsed }
func (f *fakeHBase) Increment(*hrpc.Mutate) (int64, error)     { return 0, errNotUsed }
func (f *fakeHBase) CacheRegions([]byte) error                 { return errNotUsed }
func (f *fakeHBase) CheckAndPut(*hrpc.Mutate, string, string, []byte) (bool, error) {
	return false, errNotUsed
}

func (f *fakeHBase) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
}
