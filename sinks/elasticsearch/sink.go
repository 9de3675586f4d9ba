package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"

	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Sink writes documents to Elasticsearch with the bulk API.
//
// The runtime calls a sink from one goroutine, so Sink has no lock.
type Sink struct {
	sdk.UnimplementedSink

	cfg    Config
	index  *indexPattern
	loc    *time.Location
	client *es.Client
	log    *slog.Logger
	// sleep waits between retries; tests may shorten or watch it.
	sleep func(ctx context.Context, d time.Duration) error

	// applied holds records that the last Write stored although a record
	// before them was not: the runtime hands them over again with it, and
	// the next Write skips them instead of sending them twice.
	applied map[recID]bool
	// warnedDeletes is set once deletes without a key were logged.
	warnedDeletes bool
}

// recID names a record by its place in Kafka.
type recID struct {
	topic     string
	partition int32
	offset    int64
}

// maxBackoff caps the doubling retry backoff.
const maxBackoff = 10 * time.Second

// Open checks the configuration and creates the client. It sends nothing:
// a cluster that is down shows at the first Write, as a retriable error,
// rather than failing the task.
func (s *Sink) Open(_ context.Context, cfg sdk.Config) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	p, err := parseIndexPattern(s.cfg.Index)
	if err != nil {
		return invalid("index", err.Error())
	}
	s.index = p
	if s.cfg.DateField != "" && !p.hasDate {
		return invalid("index.date.field", "is set, but index has no ${date:…} to use it")
	}
	if s.loc, err = time.LoadLocation(s.cfg.DateTimezone); err != nil {
		return invalid("index.date.timezone", fmt.Sprintf("unknown time zone %q", s.cfg.DateTimezone))
	}
	for _, u := range s.cfg.URLs {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return invalid("connection.url", fmt.Sprintf("%q is not an http:// or https:// URL", u))
		}
	}
	s.client, err = es.NewClient(es.Config{
		Addresses: s.cfg.URLs,
		Username:  s.cfg.Username,
		Password:  s.cfg.Password.Value(),
		// The sink retries itself: per item, with its own backoff, and
		// it must know which items a retried request carried.
		DisableRetry: true,
	})
	if err != nil {
		return fmt.Errorf("elasticsearch sink: %w", err)
	}
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class)
	if s.sleep == nil {
		s.sleep = sdk.Sleep
	}
	s.applied = nil
	return nil
}

func invalid(key, msg string) error {
	return &sdk.ValidationError{Fields: map[string][]string{key: {msg}}}
}

// Close releases the client's connections.
func (s *Sink) Close() error {
	if s.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.client.Close(ctx)
	s.client = nil
	if err != nil && !errors.Is(err, es.ErrAlreadyClosed) {
		return fmt.Errorf("elasticsearch sink: close: %w", err)
	}
	return nil
}

// plan turns a record into an op; nil means there is nothing to do.
func (s *Sink) plan(r *sdk.Record) (*op, error) {
	if r.Value == nil {
		return s.planTombstone(r), nil
	}
	c, err := record.ParseChange(r.Value)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch sink: %w", err)
	}
	row := c.Row()
	if c.IsDelete() && !s.cfg.DeleteEnabled {
		return nil, nil
	}
	id, err := s.docID(row, r)
	if errors.Is(err, errNoKey) && c.IsDelete() {
		// Documents of this topic are named by offset; no later record can
		// name one, so a delete has nothing to address.
		if !s.warnedDeletes {
			s.warnedDeletes = true
			s.log.Warn("elasticsearch sink: delete events are ignored: without key.fields or a record key, documents are named by topic+partition+offset",
				"topic", r.Topic, "partition", r.Partition, "offset", r.Offset)
		}
		return nil, nil
	}
	if errors.Is(err, errNoKey) {
		id = fmt.Sprintf("%s+%d+%d", r.Topic, r.Partition, r.Offset)
	} else if err != nil {
		if c.IsDelete() {
			return nil, fmt.Errorf("elasticsearch sink: delete event: %w", err)
		}
		return nil, fmt.Errorf("elasticsearch sink: %w", err)
	}
	index, err := s.indexOf(row, r)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch sink: %w", err)
	}
	switch {
	case c.IsDelete():
		return &op{act: actDelete, index: index, id: id}, nil
	case s.cfg.WriteMethod == "upsert":
		return &op{act: actUpdate, index: index, id: id, doc: row}, nil
	}
	return &op{act: actIndex, index: index, id: id, doc: row}, nil
}

// planTombstone deletes the document a tombstone's key names. CDC sources
// write a tombstone after every delete event, which already removed the
// document, so a tombstone that names none is skipped. With a ${date} in
// the index, the day of the document cannot be known from a key: the delete
// event, which carries the row, is what removes it.
func (s *Sink) planTombstone(r *sdk.Record) *op {
	if !s.cfg.DeleteEnabled || s.index.hasDate {
		return nil
	}
	var id string
	var err error
	if len(s.cfg.KeyFields) > 0 {
		obj, ok := keyObject(r.Key)
		if !ok {
			return nil
		}
		id, err = idFromFields(obj, s.cfg.KeyFields)
	} else {
		id, err = idFromKey(r.Key)
	}
	if err != nil {
		s.log.Debug("elasticsearch sink: tombstone without a usable key skipped", "topic", r.Topic,
			"partition", r.Partition, "offset", r.Offset, "reason", err)
		return nil
	}
	return &op{act: actDelete, index: s.index.render(r.Topic, time.Time{}), id: id}
}

// docID names a record's document: key.fields of the row, else the record
// key; errNoKey when there is neither.
func (s *Sink) docID(row map[string]any, r *sdk.Record) (string, error) {
	if len(s.cfg.KeyFields) > 0 {
		return idFromFields(row, s.cfg.KeyFields)
	}
	return idFromKey(r.Key)
}

func (s *Sink) indexOf(row map[string]any, r *sdk.Record) (string, error) {
	if !s.index.hasDate {
		return s.index.render(r.Topic, time.Time{}), nil
	}
	var t time.Time
	if s.cfg.DateField == "" {
		if r.Timestamp.IsZero() {
			return "", fmt.Errorf("the record has no timestamp for ${date} of index %s", s.index)
		}
		t = r.Timestamp
	} else {
		v, ok := row[s.cfg.DateField]
		if !ok {
			return "", fmt.Errorf("no field %q (index.date.field) for ${date} of index %s", s.cfg.DateField, s.index)
		}
		var err error
		if t, err = dateOf(v, s.cfg.DateUnit, s.loc); err != nil {
			return "", fmt.Errorf("index.date.field %q %v", s.cfg.DateField, err)
		}
	}
	t = t.In(s.loc)
	if y := t.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("date %s of index %s is out of range; check index.date.unit", t.Format(time.RFC3339), s.index)
	}
	return s.index.render(r.Topic, t), nil
}
