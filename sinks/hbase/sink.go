package hbase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/tsuna/gohbase"

	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// maxRowKeyLen is HBase's limit on a row key (a Java short).
const maxRowKeyLen = 32767

// deleteGap separates a delete from any later put of this sink. HBase stamps
// both with the region server's clock in milliseconds, and a delete marker
// hides every cell stamped at or before it, even one written after it: a put
// in the same millisecond as the delete of its row would vanish. Sending puts
// no sooner than this after a delete was acknowledged gives them a later stamp.
const deleteGap = 2 * time.Millisecond

// Sink writes rows to HBase tables, one put or delete per row.
//
// The runtime calls a sink from one goroutine, so Sink has no lock.
type Sink struct {
	sdk.UnimplementedSink

	// newClient builds the HBase client; nil means gohbase.NewClient. Tests
	// put a fake in its place.
	newClient func(quorum string, options ...gohbase.Option) gohbase.Client

	cfg     Config
	key     expr
	include map[string]bool // nil: every field
	client  gohbase.Client
	log     *slog.Logger

	// lastDelete is when the latest delete was acknowledged (see deleteGap).
	lastDelete time.Time
	// sleep waits for d or until ctx ends; tests may watch it.
	sleep func(ctx context.Context, d time.Duration) error
}

// tableName checks a table name after ${topic} was replaced: an optional
// namespace, then HBase's table name characters.
var tableName = regexp.MustCompile(`^([A-Za-z0-9_]+:)?[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// Open checks the configuration and creates the client. gohbase connects
// lazily, so an unreachable cluster shows at the first Write, as a
// retriable error, rather than failing the task here.
func (s *Sink) Open(_ context.Context, cfg sdk.Config) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	key, err := parseExpr(s.cfg.RowKey)
	if err != nil {
		var ee *ExprError
		if errors.As(err, &ee) {
			return invalid("rowkey.expression", fmt.Sprintf("column %d: %s", ee.Col, ee.Msg))
		}
		return err
	}
	s.key = key
	if err := checkTableFormat(s.cfg.TableFormat); err != nil {
		return invalid("table.name.format", err.Error())
	}
	if err := checkFamily(s.cfg.Family); err != nil {
		return invalid("column.family", err.Error())
	}
	s.include = nil
	if len(s.cfg.Fields) > 0 {
		s.include = make(map[string]bool, len(s.cfg.Fields))
		for _, f := range s.cfg.Fields {
			s.include[f] = true
		}
	}
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class)
	if s.sleep == nil {
		s.sleep = sdk.Sleep
	}
	newClient := s.newClient
	if newClient == nil {
		newClient = gohbase.NewClient
	}
	s.client = newClient(strings.Join(s.cfg.Quorum, ","),
		gohbase.ZookeeperRoot(s.cfg.ZkRoot), gohbase.Logger(s.log))
	return nil
}

func invalid(key, msg string) error {
	return &sdk.ValidationError{Fields: map[string][]string{key: {msg}}}
}

func checkTableFormat(format string) error {
	rest := format
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("unclosed ${ in %q", format)
		}
		if name := rest[i+2 : i+j]; name != "topic" {
			return fmt.Errorf("unknown placeholder ${%s}: only ${topic} is replaced", name)
		}
		rest = rest[i+j+1:]
	}
	if name := strings.ReplaceAll(format, "${topic}", "topic"); !tableName.MatchString(name) {
		return fmt.Errorf("%q does not give a valid HBase table name ([namespace:]name of letters, digits, _, - and ., not starting with - or .)", format)
	}
	return nil
}

func checkFamily(f string) error {
	if strings.HasPrefix(f, ".") || strings.ContainsAny(f, ":") {
		return fmt.Errorf("%q is not a valid column family name (no ':', not starting with '.')", f)
	}
	for _, r := range f {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q holds a control character", f)
		}
	}
	return nil
}

// mutation is what one record does to a row: a delete of the row's cells in
// the column family, or a put of cells.
type mutation struct {
	table, row string
	del        bool
	cells      map[string][]byte
}

// Write sends the records' mutations in batches of batch.size records and
// returns when HBase acknowledged them: nothing is buffered past Write, so
// Flush has nothing left to do.
//
// Records are turned into mutations first. The first one that cannot be
// (not a JSON object or change event, no row key) ends the batch: the records
// before it are written and it is reported as a *sdk.RecordError, so the
// runtime dead-letters it and hands the rest over again. A batch that fails
// reports the records before it as written, so a retry resends only the
// failed batch and those after it; puts and deletes by row key make that
// harmless.
func (s *Sink) Write(ctx context.Context, records []sdk.Record) (int, error) {
	if s.client == nil {
		return 0, errors.New("hbase sink: not open")
	}
	muts := make([]*mutation, 0, len(records))
	var bad *sdk.RecordError
	for i := range records {
		m, err := s.plan(&records[i])
		if err != nil {
			bad = &sdk.RecordError{Index: i, Err: err}
			break
		}
		muts = append(muts, m)
	}
	for start := 0; start < len(muts); start += s.cfg.BatchSize {
		end := min(start+s.cfg.BatchSize, len(muts))
		if err := s.send(ctx, muts[start:end]); err != nil {
			return start, err
		}
	}
	if bad != nil {
		return bad.Index, bad
	}
	return len(records), nil
}

// plan turns a record into a mutation; nil means there is nothing to do.
func (s *Sink) plan(r *sdk.Record) (*mutation, error) {
	table := strings.ReplaceAll(s.cfg.TableFormat, "${topic}", r.Topic)
	if r.Value == nil {
		// A tombstone: CDC sources write one after every delete event so
		// compacted topics drop the key. The delete event already removed
		// the row; a tombstone whose key does not give a row key is skipped.
		if !s.cfg.DeleteEnabled {
			return nil, nil
		}
		row, ok := keyObject(r.Key)
		if !ok {
			return nil, nil
		}
		rk, err := s.rowKey(row)
		if err != nil {
			s.log.Debug("hbase sink: tombstone without a usable key skipped", "topic", r.Topic,
				"partition", r.Partition, "offset", r.Offset, "reason", err)
			return nil, nil
		}
		return &mutation{table: table, row: rk, del: true}, nil
	}
	c, err := record.ParseChange(r.Value)
	if err != nil {
		return nil, fmt.Errorf("hbase sink: %w", err)
	}
	if c.IsDelete() {
		if !s.cfg.DeleteEnabled {
			return nil, nil
		}
		rk, err := s.rowKey(c.Before)
		if err != nil {
			return nil, fmt.Errorf("hbase sink: delete event: %w", err)
		}
		return &mutation{table: table, row: rk, del: true}, nil
	}
	rk, err := s.rowKey(c.After)
	if err != nil {
		return nil, fmt.Errorf("hbase sink: %w", err)
	}
	cs, err := cells(c.After, s.include)
	if err != nil {
		return nil, fmt.Errorf("hbase sink: %w", err)
	}
	if len(cs) == 0 {
		// Every written field is null: a put would set nothing, and HBase
		// refuses an empty put.
		return nil, nil
	}
	return &mutation{table: table, row: rk, cells: cs}, nil
}

func (s *Sink) rowKey(row map[string]any) (string, error) {
	rk, err := s.key.eval(row)
	if err != nil {
		return "", fmt.Errorf("row key %s: %w", s.key, err)
	}
	if rk == "" {
		return "", fmt.Errorf("row key %s is empty", s.key)
	}
	if len(rk) > maxRowKeyLen {
		return "", fmt.Errorf("row key %s is %d bytes, more than HBase's %d", s.key, len(rk), maxRowKeyLen)
	}
	return rk, nil
}

// keyObject reads a record key as a JSON object, unwrapping the
// {"schema","payload"} envelope of the JsonConverter.
func keyObject(key []byte) (map[string]any, bool) {
	if key == nil {
		return nil, false
	}
	obj, err := record.DecodeObject(key)
	if err != nil {
		return nil, false
	}
	if payload, ok := obj["payload"].(map[string]any); ok {
		if _, hasSchema := obj["schema"]; hasSchema {
			obj = payload
		}
	}
	return obj, true
}

// Close closes the client.
func (s *Sink) Close() error {
	if s.client != nil {
		s.client.Close()
		s.client = nil
	}
	return nil
}
