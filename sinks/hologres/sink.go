package hologres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

const (
	// catalogRefresh is how often a table's columns are read again, so a
	// column added while the sink runs gets written.
	catalogRefresh = time.Minute
	// remapGuard: a record the mapper refuses makes the sink read the
	// table's catalog again first (the column may have just been added),
	// unless it did so this recently.
	remapGuard = time.Second
)

// Sink writes records as rows of PostgreSQL or Hologres tables.
type Sink struct {
	sdk.UnimplementedSink

	mu       sync.Mutex
	cfg      Config
	log      *slog.Logger
	connCfg  *pgx.ConnConfig
	conn     *pgx.Conn
	srv      server
	tmpl     topicTemplate
	settings tableSettings
	declared []row.Column
	props    tableProps

	tables  map[tableName]*table
	byTopic map[string]*table
	offsets *offsetStore // nil without offsets.table

	// Scratch of the Write in progress.
	maps    []mapped   // one per record
	touched []*table   // tables with rows in their batch, in order of first appearance
	stream  copyStream // the COPY of appends
}

var _ sdk.OffsetKeeper = (*Sink)(nil)

// Open checks the configuration, connects, and reads (or creates) the
// tables of the configured topics, so a wrong name fails now.
func (s *Sink) Open(ctx context.Context, cfg sdk.Config) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if err != nil {
			s.dropConn() // the runtime does not Close a sink that failed to open
		}
	}()
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class)
	if err := s.configure(cfg["name"]); err != nil {
		return fmt.Errorf("hologres sink: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	conn, err := s.connect(ctx)
	if err != nil {
		return fmt.Errorf("hologres sink: connect: %w", err)
	}
	if s.srv, err = detectServer(ctx, conn); err != nil {
		return fmt.Errorf("hologres sink: %w", err)
	}
	s.settings.hologres = s.srv.hologres
	if !s.srv.hologres && !s.props.empty() {
		s.log.Info("the server is PostgreSQL, not Hologres: table.orientation, table.*.key, table.event.time.column and table.time.to.live.seconds are ignored")
	}
	if s.offsets != nil {
		if err := s.offsets.ensure(ctx, conn, s.srv); err != nil {
			return fmt.Errorf("hologres sink: %w", err)
		}
		if err := s.offsets.load(ctx, conn); err != nil {
			return fmt.Errorf("hologres sink: %w", err)
		}
	}
	topics := s.cfg.Topics
	if !s.tmpl.usesTopic() {
		topics = []string{""}
	}
	for _, topic := range topics {
		if _, err := s.tableFor(ctx, topic); err != nil {
			return fmt.Errorf("hologres sink: %w", err)
		}
	}
	return nil
}

// configure checks what can be checked without the database.
func (s *Sink) configure(connector string) error {
	c := &s.cfg
	var err error
	if s.tmpl, err = parseTemplate(c.TableFormat); err != nil {
		return err
	}
	st := tableSettings{keyMode: row.KeyMode(c.PKMode), pkFields: c.PKFields}
	switch c.InsertMode {
	case "insert":
		st.mode = row.ModeAppend
		if c.DeleteEnabled {
			return errors.New("insert.mode=insert appends rows and cannot apply deletes: set delete.enabled=false (delete events and tombstones are then skipped)")
		}
	case "upsert", "update":
		st.mode, _ = row.ParseMode(c.MutateType)
		st.update = c.InsertMode == "update"
		if st.keyMode == row.KeyNone {
			return fmt.Errorf("insert.mode=%s writes by key: set pk.mode to record_value or record_key", c.InsertMode)
		}
		if st.update && st.mode == row.ModeIgnore {
			return errors.New("insert.mode=update with mutate.type=insertorignore would never change a row")
		}
	}
	unit := map[string]time.Duration{"s": time.Second, "ms": time.Millisecond, "us": time.Microsecond, "ns": time.Nanosecond}[c.EpochUnit]
	st.mapper = row.MapperConfig{UnknownFieldsError: c.UnknownFields == "error", DeleteEnabled: c.DeleteEnabled, EpochUnit: unit}
	s.settings = st

	if c.Columns != "" {
		if s.declared, err = row.ParseColumns(c.Columns); err != nil {
			return fmt.Errorf("table.schema.columns: %w", err)
		}
	}
	if c.AutoCreate {
		if s.declared == nil {
			return errors.New("auto.create needs the columns of the table: set table.schema.columns")
		}
		if st.keyMode != row.KeyNone && len(c.PKFields) == 0 {
			return errors.New("auto.create with a key needs pk.fields, the primary key of the table it creates")
		}
		s.props = tableProps{Orientation: c.Orientation, Distribution: c.DistributionKey, Clustering: c.ClusteringKey,
			EventTime: c.EventTimeColumn, TTLSeconds: c.TimeToLive}
		// Check the DDL once now, with any table name.
		if _, err := createTable(tableName{Name: "t"}, s.declared, s.declaredKey(), s.props, true); err != nil {
			return err
		}
	}

	if s.connCfg, err = pgx.ParseConfig(c.URL); err != nil {
		return fmt.Errorf("connection.url: %w", err)
	}
	if c.User != "" {
		s.connCfg.User = c.User
	}
	if c.Password != "" {
		s.connCfg.Password = c.Password.Value()
	}
	if _, ok := s.connCfg.RuntimeParams["application_name"]; !ok {
		s.connCfg.RuntimeParams["application_name"] = "tributary hologres sink " + connector
	}
	if s.connCfg.ConnectTimeout == 0 || s.connCfg.ConnectTimeout > c.WriteTimeout {
		s.connCfg.ConnectTimeout = c.WriteTimeout
	}

	if c.OffsetsTable != "" {
		name, err := parseTableName(c.OffsetsTable)
		if err != nil {
			return fmt.Errorf("offsets.table: %w", err)
		}
		if connector == "" {
			connector = "default"
		}
		s.offsets = &offsetStore{table: name, connector: connector, next: map[sdk.TopicPartition]int64{}}
	}
	s.tables, s.byTopic = map[tableName]*table{}, map[string]*table{}
	return nil
}

func (s *Sink) declaredKey() []string {
	if s.settings.keyMode == row.KeyNone {
		return nil
	}
	return s.cfg.PKFields
}

func declaredColumns(cols []row.Column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = column{Column: c}
	}
	return out
}

// connect returns the connection, opening a new one after a failure.
func (s *Sink) connect(ctx context.Context) (*pgx.Conn, error) {
	if s.conn != nil && !s.conn.IsClosed() {
		return s.conn, nil
	}
	s.conn = nil
	conn, err := pgx.ConnectConfig(ctx, s.connCfg)
	if err != nil {
		return nil, err
	}
	s.conn = conn
	return conn, nil
}

// dropConn closes the connection; the next write opens a new one.
func (s *Sink) dropConn() {
	if s.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.conn.Close(ctx)
	s.conn = nil
}

// tableFor returns the table of a topic, reading its catalog (and creating
// it) the first time and again every catalogRefresh.
func (s *Sink) tableFor(ctx context.Context, topic string) (*table, error) {
	if t, ok := s.byTopic[topic]; ok {
		if time.Since(t.loadedAt) < catalogRefresh {
			return t, nil
		}
		return t, s.reload(ctx, t)
	}
	name, err := s.tmpl.table(topic)
	if err != nil {
		return nil, fmt.Errorf("topic %q: %w", topic, err)
	}
	t, ok := s.tables[name]
	if !ok {
		if t, err = s.loadTable(ctx, name); err != nil {
			return nil, err
		}
		s.tables[name] = t
	}
	s.byTopic[topic] = t
	return t, nil
}

// loadTable reads a table's catalog, creating the table when it is missing
// and auto.create is on.
func (s *Sink) loadTable(ctx context.Context, name tableName) (*table, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	conn, err := s.connect(wctx)
	if err != nil {
		return nil, s.fault(ctx, fmt.Errorf("connect: %w", err))
	}
	cat, ok, err := readCatalog(wctx, conn, s.srv, name)
	if err != nil {
		return nil, s.fault(ctx, err)
	}
	if !ok {
		if !s.cfg.AutoCreate {
			return nil, fmt.Errorf("table %s does not exist: create it, or set auto.create=true and table.schema.columns", name)
		}
		if err := s.create(wctx, conn, name); err != nil {
			return nil, s.fault(ctx, err)
		}
		if cat, ok, err = readCatalog(wctx, conn, s.srv, name); err != nil {
			return nil, s.fault(ctx, err)
		} else if !ok {
			return nil, fmt.Errorf("table %s is still missing after it was created", name)
		}
	}
	return newTable(name, cat, s.settings)
}

// create makes a table from table.schema.columns, in one transaction with its
// Hologres properties. A table another task created meanwhile is fine.
func (s *Sink) create(ctx context.Context, conn *pgx.Conn, name tableName) error {
	stmts, err := createTable(name, s.declared, s.declaredKey(), s.props, s.srv.hologres)
	if err != nil {
		return err
	}
	if name.Schema != "" {
		stmts = append([]string{"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(name.Schema)}, stmts...)
	}
	err = runInTx(ctx, conn, stmts)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42P07" { // duplicate_table
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	s.log.Info("created table", "table", name.String(), "hologres", s.srv.hologres)
	return nil
}

// reload reads a table's catalog again, replacing the table's columns and
// mapper in place.
func (s *Sink) reload(ctx context.Context, t *table) error {
	fresh, err := s.loadTable(ctx, t.name)
	if err != nil {
		return err
	}
	*t = *fresh
	return nil
}

// fault turns an error into what Write returns: the task's own
// cancellation as it is, retriable faults marked so (dropping a connection
// that may be broken), the rest as they are.
func (s *Sink) fault(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	if classify(err) != faultRetriable {
		return err
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || (s.conn != nil && s.conn.IsClosed()) {
		s.dropConn()
	}
	if s.offsets != nil {
		// A commit may have happened without its answer arriving.
		s.offsets.stale = true
	}
	return sdk.Retriable(err)
}

// StoredOffsets returns the offsets kept in offsets.table (none without
// it), read afresh: another task may have written the partitions since.
func (s *Sink) StoredOffsets(ctx context.Context) (map[sdk.TopicPartition]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offsets == nil {
		return nil, nil
	}
	if err := s.loadOffsets(ctx); err != nil {
		return nil, err
	}
	return s.offsets.snapshot(), nil
}

// Close closes the connection. Every Write was committed before it
// returned, so nothing is pending.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropConn()
	return nil
}
