package datagen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Keys of the position: partition {"datagen": <name>}, offset {"next": <id>}.
const (
	partitionKey = "datagen"
	offsetKey    = "next"
)

// alphabet has 64 characters, so 6 random bits pick one, and none needs
// escaping in JSON.
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

// Source generates records.
type Source struct {
	sdk.UnimplementedSource

	cfg  Config
	name string
	next int64 // id of the next record

	// The rate is kept from (start, startID): record id is due at
	// start + (id-startID)/rate.
	start   time.Time
	startID int64

	pcg rand.PCG
}

// Open decodes the config and resumes after the last stored record.
func (s *Source) Open(_ context.Context, cfg sdk.Config, last []sdk.Position) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	if math.IsInf(s.cfg.Rate, 0) {
		return fmt.Errorf("datagen: rate must be finite; 0 means as fast as possible")
	}
	s.name = cfg["name"]
	if s.name == "" {
		s.name = "datagen"
	}
	for _, p := range last {
		if name, _ := p.Partition[partitionKey].(string); name != s.name {
			continue
		}
		n, err := sdk.OffsetInt(p.Offset[offsetKey])
		if err != nil {
			return fmt.Errorf("datagen: stored position: %w", err)
		}
		s.next = n
	}
	s.start, s.startID = time.Now(), s.next
	return nil
}

// Read returns the records due by now, at most batch.size, waiting for the
// next one when none is due. Once count records exist it waits for ctx.
func (s *Source) Read(ctx context.Context) ([]sdk.Record, error) {
	for {
		n := int64(s.cfg.BatchSize)
		if s.cfg.Count > 0 {
			n = min(n, s.cfg.Count-s.next)
			if n <= 0 {
				<-ctx.Done()
				return nil, ctx.Err()
			}
		}
		var wait time.Duration
		if s.cfg.Rate > 0 {
			elapsed := time.Since(s.start).Seconds()
			due := s.startID + int64(elapsed*s.cfg.Rate) + 1 // the first is due at once
			n = min(n, due-s.next)
			if n <= 0 {
				at := float64(s.next-s.startID) / s.cfg.Rate
				wait = time.Duration((at - elapsed) * float64(time.Second))
			}
		}
		if n > 0 {
			return s.generate(n), nil
		}
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Source) generate(n int64) []sdk.Record {
	now := time.Now()
	ts := now.UnixMilli()
	recs := make([]sdk.Record, n)
	for i := range recs {
		id := s.next
		s.next++
		recs[i] = sdk.Record{
			Key:       strconv.AppendInt(nil, id, 10),
			Value:     s.value(id, ts),
			Partition: -1,
			Topic:     s.cfg.Topic,
			Timestamp: now,
			Position: sdk.Position{
				Partition: map[string]any{partitionKey: s.name},
				Offset:    map[string]any{offsetKey: s.next},
			},
		}
	}
	return recs
}

// value builds {"id":id,"ts":ts,"payload":"…"}. The payload depends only on
// the seed and the id, so a resumed generator repeats a stopped one exactly.
func (s *Source) value(id, ts int64) []byte {
	b := make([]byte, 0, 48+s.cfg.PayloadBytes)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"payload":"`...)
	s.pcg.Seed(uint64(s.cfg.Seed), uint64(id))
	var bits uint64
	for i := range s.cfg.PayloadBytes {
		if i%10 == 0 {
			bits = s.pcg.Uint64()
		}
		b = append(b, alphabet[bits&63])
		bits >>= 6
	}
	return append(b, `"}`...)
}
