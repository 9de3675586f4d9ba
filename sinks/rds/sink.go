package rds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// catalogTTL is how long a table's catalog is used before it is read again.
const catalogTTL = time.Minute

// Sink writes records to MySQL or MariaDB tables. Write is synchronous and
// durable: when it returns n, the first n records are committed. The
// runtime calls it from one goroutine.
type Sink struct {
	sdk.UnimplementedSink

	cfg      Config
	ep       endpoint
	declared []row.Column // table.schema.columns, for auto.create
	deletes  bool
	log      *slog.Logger

	cn *conn
	// inTx is set while a transaction of pieces is open on cn.
	inTx    bool
	byTopic map[string]*table
	byName  map[tableName]*table
	// recTables holds the table of each record of the current Write.
	recTables []*table
	sets      [2]chunk
	// missing counts insert.mode=update records whose row did not exist;
	// skipped, records that changed nothing of tables read again since.
	missing, skipped int64
}

// Open reads the config and connects. A server that cannot be reached yet
// is not an error here: Write connects again, and its failure there is
// retriable. A refused login or an unknown database fails at once.
func (s *Sink) Open(ctx context.Context, cfg sdk.Config) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class)
	ep, err := parseURL(s.cfg.URL)
	if err != nil {
		return err
	}
	if s.cfg.User != "" {
		ep.User = s.cfg.User
	}
	if s.cfg.Password.Value() != "" {
		ep.Password = s.cfg.Password.Value()
	}
	s.ep = ep
	if s.cfg.Columns != "" {
		if s.declared, err = row.ParseColumns(s.cfg.Columns); err != nil {
			return fmt.Errorf("table.schema.columns: %w", err)
		}
	}
	if s.cfg.AutoCreate && len(s.declared) == 0 {
		return errors.New("auto.create needs table.schema.columns")
	}
	// The same rules as the hologres sink's.
	switch s.cfg.InsertMode {
	case "insert":
		if s.cfg.DeleteEnabled {
			return errors.New("insert.mode=insert appends rows and cannot apply deletes: set delete.enabled=false (delete events and tombstones are then skipped)")
		}
	default:
		if s.cfg.PKMode == "none" {
			return fmt.Errorf("insert.mode=%s writes by key: set pk.mode to record_value or record_key (or insert.mode=insert to append)", s.cfg.InsertMode)
		}
		if s.cfg.InsertMode == "update" && s.cfg.MutateType == "insertorignore" {
			return errors.New("insert.mode=update with mutate.type=insertorignore would never change a row")
		}
	}
	s.deletes = s.cfg.DeleteEnabled
	s.byTopic, s.byName = map[string]*table{}, map[tableName]*table{}

	if err := s.connect(ctx); err != nil {
		if sdk.IsRetriable(err) {
			s.log.Warn("server not reachable yet; writes will retry", "err", err)
			return nil
		}
		return err
	}
	if !strings.Contains(s.cfg.TableFormat, "${topic}") {
		// One table for every topic: find its problems now.
		if _, err := s.tableFor(""); err != nil && !sdk.IsRetriable(err) {
			return err
		}
	}
	return nil
}

// Close ends the connection.
func (s *Sink) Close() error {
	skipped := s.skipped
	for _, t := range s.byName {
		skipped += t.skipped.Load()
	}
	if skipped > 0 || s.missing > 0 {
		s.log.Info("records that changed nothing", "deletes_or_tombstones_skipped", skipped, "updates_of_missing_rows", s.missing)
	}
	s.dropConn()
	return nil
}

// batchMode is how a chunk's records of one key merge.
func (s *Sink) batchMode() row.Mode {
	if s.cfg.InsertMode == "insert" {
		return row.ModeAppend
	}
	m, _ := row.ParseMode(s.cfg.MutateType)
	return m
}

// upsertKind is what an INSERT does with a key that exists.
func (s *Sink) upsertKind() upsert {
	if s.cfg.InsertMode == "insert" {
		return upsertNone
	}
	switch s.cfg.MutateType {
	case "insertorreplace":
		return upsertReplace
	case "insertorignore":
		return upsertIgnore
	}
	return upsertUpdate
}

func (s *Sink) connect(ctx context.Context) error {
	if s.cn != nil {
		return nil
	}
	cn, err := dial(ctx, s.ep, s.cfg.WriteTimeout)
	if err != nil {
		return s.fault(err)
	}
	s.cn = cn
	return nil
}

func (s *Sink) dropConn() {
	if s.cn != nil {
		s.cn.close()
		s.cn = nil
	}
	s.inTx = false
}

// fault wraps err for the runtime: Retriable when it passes, dropping a
// connection that is no longer usable.
func (s *Sink) fault(err error) error {
	if _, isServer := serverCode(err); !isServer || connLost(err) {
		// After anything but an orderly error reply the protocol state is
		// unknown: start over on a new connection.
		s.dropConn()
	}
	err = fmt.Errorf("rds sink: %w", err)
	if classify(err) == faultRetry {
		return sdk.Retriable(err)
	}
	return err
}

// tableFor returns the table of a topic's records, reading its catalog the
// first time.
func (s *Sink) tableFor(topic string) (*table, error) {
	if t, ok := s.byTopic[topic]; ok {
		if time.Since(t.loaded) < catalogTTL {
			return t, nil
		}
		// Read the catalog again now and then: a column added to the
		// table is written from then on.
		s.forget([]*table{t})
	}
	n, err := parseTableName(strings.ReplaceAll(s.cfg.TableFormat, "${topic}", topic), s.ep.DB)
	if err != nil {
		return nil, err
	}
	t, ok := s.byName[n]
	if !ok {
		if t, err = s.loadTable(s.cn, n); err != nil {
			var code uint16
			if code, _ = serverCode(err); code != 0 || connLost(err) {
				return nil, s.fault(err)
			}
			return nil, err
		}
		s.byName[n] = t
	}
	s.byTopic[topic] = t
	return t, nil
}

// forget drops the catalogs of tables, to be read again.
func (s *Sink) forget(tables []*table) {
	for i := range s.sets {
		s.sets[i].forget(tables)
	}
	for _, t := range tables {
		s.skipped += t.skipped.Load()
		delete(s.byName, t.name)
		for topic, tt := range s.byTopic {
			if tt == t {
				delete(s.byTopic, topic)
			}
		}
	}
}
