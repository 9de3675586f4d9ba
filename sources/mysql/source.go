package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Source captures row changes of a MySQL or MariaDB server: a consistent
// snapshot first when needed, then the binlog. A reader goroutine fills a
// bounded queue that Read drains.
type Source struct {
	sdk.UnimplementedSource

	cfg     Config
	conv    converter
	filter  *filter
	log     *slog.Logger
	flavor  string // gomysql.MySQLFlavor or gomysql.MariaDBFlavor
	useGTID bool

	start      position // where streaming begins
	doSnapshot bool

	// queue holds groups of records that must reach Kafka in one batch: the
	// records of one row change share a position (a delete and its
	// tombstone), so a batch must not end between them.
	queue chan []sdk.Record
	errc  chan error
	// resume is where streaming starts again after a lost connection: the
	// position of the last record queued.
	resume position
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Open checks the server's binlog settings, decides between a snapshot and
// resuming the stored position, and starts reading.
func (s *Source) Open(ctx context.Context, cfg sdk.Config, last []sdk.Position) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	if s.cfg.HistoryTopic == "" {
		s.cfg.HistoryTopic = s.cfg.Prefix + ".schema-history"
	}
	s.conv = converter{decimalMode: s.cfg.DecimalMode, binaryMode: s.cfg.BinaryMode}
	var err error
	if s.filter, err = newFilter(&s.cfg); err != nil {
		return err
	}
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class, "server", s.cfg.Prefix)

	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := s.checkServer(conn); err != nil {
		return err
	}
	stored, found, err := storedPosition(s.cfg.Prefix, last)
	if err != nil {
		return err
	}
	if err := s.plan(conn, stored, found); err != nil {
		return err
	}

	s.queue = make(chan []sdk.Record, s.cfg.QueueSize)
	s.errc = make(chan error, 1)
	s.done = make(chan struct{})
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(runCtx)
	return nil
}

// plan decides where reading starts.
func (s *Source) plan(conn *client.Conn, stored position, found bool) error {
	switch {
	case found && !stored.Snapshot:
		purged, oldest, err := s.purged(conn, stored)
		if err != nil {
			return err
		}
		if !purged {
			s.start = stored
			s.log.Info("mysql source: resuming the binlog", "file", stored.File, "pos", stored.Pos, "gtids", stored.GTIDs,
				"skip_events", stored.Event, "skip_rows", stored.Row)
			return nil
		}
		if s.cfg.SnapshotMode != "when_needed" {
			return fmt.Errorf("the stored binlog position %s:%d (gtids %q) was purged from the server (oldest binlog now %s): "+
				"changes made since are lost to this connector; set snapshot.mode=when_needed to take a new snapshot, "+
				"or reset the connector's offsets", stored.File, stored.Pos, stored.GTIDs, oldest)
		}
		s.log.Warn("mysql source: the stored binlog position was purged; taking a new snapshot (snapshot.mode=when_needed)",
			"file", stored.File, "pos", stored.Pos, "oldest", oldest)
		s.doSnapshot = true
	case found && stored.Snapshot:
		s.log.Info("mysql source: the previous snapshot did not finish; starting it again")
		s.doSnapshot = true
	case s.cfg.SnapshotMode == "never":
		logs, err := binaryLogs(conn)
		if err != nil {
			return err
		}
		if len(logs) == 0 {
			return errors.New("the server has no binary logs: start it with log_bin")
		}
		s.start = position{File: logs[0], Pos: 4}
		// The GTID state at the start of that binlog, so the set stored
		// with positions is complete (else a restart thinks it purged).
		if s.start.GTIDs, err = s.gtidsAtStart(conn, logs[0]); err != nil {
			return err
		}
		s.log.Info("mysql source: snapshot.mode=never, streaming from the oldest binlog", "file", logs[0], "gtids", s.start.GTIDs)
	default:
		s.doSnapshot = true
	}
	return nil
}

func (s *Source) connect(ctx context.Context) (*client.Conn, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	conn, err := client.ConnectWithContext(ctx, addr, s.cfg.User, s.cfg.Password.Value(), "", s.cfg.ConnectTimeout)
	if err != nil {
		return nil, fmt.Errorf("connect to %s as %s: %w", addr, s.cfg.User, err)
	}
	// go-mysql asks for a MySQL 8 collation that MariaDB does not know, and
	// MariaDB then falls back to the server's charset (latin1 by default).
	if _, err := conn.Execute("SET NAMES utf8mb4"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("SET NAMES utf8mb4 on %s: %w", addr, err)
	}
	return conn, nil
}

// checkServer reads the flavour and refuses binlog settings that would make
// change events incomplete.
func (s *Source) checkServer(conn *client.Conn) error {
	s.flavor = gomysql.MySQLFlavor
	if strings.Contains(strings.ToLower(conn.GetServerVersion()), "mariadb") {
		s.flavor = gomysql.MariaDBFlavor
	}
	vars := map[string]string{}
	rs, err := conn.Execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin','binlog_format','binlog_row_image','binlog_row_metadata','gtid_mode','binlog_transaction_compression','binlog_row_value_options')")
	if err != nil {
		return fmt.Errorf("read server settings: %w", err)
	}
	for i := range rs.RowNumber() {
		k, _ := rs.GetString(i, 0)
		v, _ := rs.GetString(i, 1)
		vars[strings.ToLower(k)] = strings.ToUpper(v)
	}
	var problems []string
	want := map[string]string{"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL"}
	for _, k := range []string{"log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata"} {
		if got, ok := vars[k]; !ok {
			problems = append(problems, k+" is unknown to this server (it needs MySQL 8.0.1+ or MariaDB 10.5+)")
		} else if got != want[k] {
			problems = append(problems, fmt.Sprintf("%s=%s (needs %s)", k, got, want[k]))
		}
	}
	if vars["binlog_transaction_compression"] == "ON" {
		problems = append(problems, "binlog_transaction_compression=ON (compressed transactions are not read yet; needs OFF)")
	}
	if strings.Contains(vars["binlog_row_value_options"], "PARTIAL_JSON") {
		problems = append(problems, "binlog_row_value_options=PARTIAL_JSON (partial JSON updates carry no full after image; needs '')")
	}
	if len(problems) > 0 {
		return fmt.Errorf("the server's binlog cannot be captured: %s", strings.Join(problems, "; "))
	}
	switch s.cfg.BinlogMode {
	case "gtid":
		s.useGTID = true
	case "auto":
		s.useGTID = s.flavor == gomysql.MariaDBFlavor || vars["gtid_mode"] == "ON"
	}
	if s.useGTID && s.flavor == gomysql.MySQLFlavor && vars["gtid_mode"] != "ON" {
		return errors.New("binlog.position.mode=gtid needs gtid_mode=ON on the server")
	}
	return nil
}

// gtidsAtStart is the GTID set executed before the binlog file begins.
func (s *Source) gtidsAtStart(conn *client.Conn, file string) (string, error) {
	q := fmt.Sprintf("SELECT BINLOG_GTID_POS('%s', 4)", gomysql.Escape(file))
	if s.flavor == gomysql.MySQLFlavor {
		q = "SELECT @@GLOBAL.gtid_purged"
	}
	rs, err := conn.Execute(q)
	if err != nil {
		return "", fmt.Errorf("gtid state at the start of %s: %w", file, err)
	}
	g, _ := rs.GetString(0, 0)
	return strings.ReplaceAll(g, "\n", ""), nil
}

// binaryLogs lists the server's binlog files, oldest first.
func binaryLogs(conn *client.Conn) ([]string, error) {
	rs, err := conn.Execute("SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("list binary logs: %w", err)
	}
	var logs []string
	for i := range rs.RowNumber() {
		name, _ := rs.GetString(i, 0)
		logs = append(logs, name)
	}
	return logs, nil
}

// purged reports whether the server no longer has the binlog at p.
func (s *Source) purged(conn *client.Conn, p position) (bool, string, error) {
	logs, err := binaryLogs(conn)
	if err != nil {
		return false, "", err
	}
	oldest := ""
	if len(logs) > 0 {
		oldest = logs[0]
	}
	if s.useGTID && p.GTIDs != "" {
		return s.gtidsPurged(conn, p.GTIDs, oldest)
	}
	for _, l := range logs {
		if l == p.File {
			return false, oldest, nil
		}
	}
	return true, oldest, nil
}

// gtidsPurged checks that the server still has every transaction after
// gtids: MySQL keeps the purged set in gtid_purged; MariaDB's oldest binlog
// starts with a GTID list naming what came before it.
func (s *Source) gtidsPurged(conn *client.Conn, gtids, oldest string) (bool, string, error) {
	if s.flavor == gomysql.MySQLFlavor {
		rs, err := conn.Execute("SELECT @@GLOBAL.gtid_purged")
		if err != nil {
			return false, "", err
		}
		purgedText, _ := rs.GetString(0, 0)
		purged, err := gomysql.ParseMysqlGTIDSet(purgedText)
		if err != nil {
			return false, "", err
		}
		have, err := gomysql.ParseMysqlGTIDSet(gtids)
		if err != nil {
			return false, "", fmt.Errorf("stored gtids %q: %w", gtids, err)
		}
		return !have.Contain(purged), oldest, nil
	}
	if oldest == "" {
		return true, oldest, nil
	}
	rs, err := conn.Execute(fmt.Sprintf("SELECT BINLOG_GTID_POS('%s', 4)", gomysql.Escape(oldest)))
	if err != nil {
		return false, "", err
	}
	startText, _ := rs.GetString(0, 0)
	start, err := gomysql.ParseMariadbGTIDSet(startText)
	if err != nil {
		return false, "", err
	}
	have, err := gomysql.ParseMariadbGTIDSet(gtids)
	if err != nil {
		return false, "", fmt.Errorf("stored gtids %q: %w", gtids, err)
	}
	// Every domain's position must be at or after where the oldest binlog starts.
	return !have.Contain(start), oldest, nil
}

// run snapshots when planned, then streams until ctx ends or reading fails.
// A lost connection is re-established here, from the position of the last
// record queued, with the same resume logic as a restart; go-mysql's own
// reconnect would send the last transaction again.
func (s *Source) run(ctx context.Context) {
	defer close(s.done)
	err := func() error {
		if s.doSnapshot {
			start, err := s.snapshot(ctx)
			if err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
			s.start = start
		}
		s.resume = s.start
		backoff, failingSince := time.Second, time.Time{}
		for {
			err := s.stream(ctx, s.resume)
			if err == nil || ctx.Err() != nil {
				return nil
			}
			var lost *connectionLost
			if !errors.As(err, &lost) {
				return err
			}
			if failingSince.IsZero() || lost.progressed {
				failingSince, backoff = time.Now(), time.Second
			}
			if time.Since(failingSince) > s.cfg.ReconnectTimeout {
				return fmt.Errorf("the binlog connection is lost and did not come back within reconnect.timeout.ms: %w", err)
			}
			s.log.Warn("mysql source: binlog connection lost, reconnecting", "err", err, "retry_in", backoff,
				"file", s.resume.File, "pos", s.resume.Pos, "gtids", s.resume.GTIDs)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}()
	if err != nil && ctx.Err() == nil {
		s.errc <- err
	}
}

// connectionLost wraps an error reading the binlog that a new connection may
// cure; progressed says events were read on the lost connection.
type connectionLost struct {
	err        error
	progressed bool
}

func (e *connectionLost) Error() string { return e.err.Error() }
func (e *connectionLost) Unwrap() error { return e.err }

// emit queues records that must reach Kafka in the same batch, waiting
// while the queue is full.
func (s *Source) emit(ctx context.Context, recs ...sdk.Record) error {
	select {
	case s.queue <- recs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Read returns the queued change events, waiting for the first ones.
func (s *Source) Read(ctx context.Context) ([]sdk.Record, error) {
	var recs []sdk.Record
	select {
	case recs = <-s.queue:
	case err := <-s.errc:
		s.errc <- err
		return nil, err
	case <-ctx.Done():
		return nil, nil
	case <-time.After(time.Second):
		return nil, nil
	}
	for len(recs) < s.cfg.BatchSize {
		select {
		case more := <-s.queue:
			recs = append(recs, more...)
		default:
			return recs, nil
		}
	}
	return recs, nil
}

// Close stops the reader and the binlog connection.
func (s *Source) Close() error {
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel()
			<-s.done
		}
	})
	return nil
}
