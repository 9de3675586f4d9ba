package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// openTxnWindow bounds how far back an open transaction can start: Kafka
// caps transaction timeouts at transaction.max.timeout.ms, 15 minutes, and a
// transaction open longer than that was already aborted by its coordinator.
const openTxnWindow = 16 * time.Minute

// openTxn is a transaction a dead broker left without its end marker.
type openTxn struct {
	producerID int64
	epoch      int16
	partitions map[string][]int32
}

// abortCrashedTransactions writes an abort marker for every transaction that
// was open when the previous broker process died.
//
// kfake, on loading a data directory that was not shut down cleanly, treats
// such transactions as aborted but writes no marker for them. Consumers
// (librdkafka, the Java client) skip an aborted transaction's records from
// its first offset until its producer's abort marker, so without one they
// also skip everything that producer commits later (the task restarted with
// the same transactional.id), and a reader waiting for its position to reach
// the end offset waits forever. A real Kafka coordinator aborts such a
// transaction with markers once it times out; this does it at start.
func abortCrashedTransactions(ctx context.Context, addr string, now time.Time) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(3))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	starts, ends, err := scanRanges(ctx, cl, now.Add(-openTxnWindow))
	if err != nil || len(starts) == 0 {
		return 0, err
	}
	open, err := findOpenTxns(ctx, starts, ends, addr)
	if err != nil {
		return 0, err
	}
	for _, txn := range open {
		if err := writeAbortMarkers(ctx, cl, txn); err != nil {
			return 0, err
		}
	}
	return len(open), nil
}

// scanRanges returns, per partition holding records newer than since, the
// first such offset and the end offset.
func scanRanges(ctx context.Context, cl *kgo.Client, since time.Time) (starts map[string]map[int32]kgo.Offset, ends map[string]map[int32]int64, err error) {
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return nil, nil, fmt.Errorf("metadata: %w", err)
	}
	listAt := func(ts int64) (map[string]map[int32]int64, error) {
		req := kmsg.NewPtrListOffsetsRequest()
		req.IsolationLevel = 0
		for _, t := range meta.Topics {
			if t.Topic == nil {
				continue
			}
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = *t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewListOffsetsRequestTopicPartition()
				rp.Partition = p.Partition
				rp.Timestamp = ts
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return nil, fmt.Errorf("list offsets: %w", err)
		}
		out := map[string]map[int32]int64{}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return nil, fmt.Errorf("list offsets of %s-%d: %w", t.Topic, p.Partition, err)
				}
				if out[t.Topic] == nil {
					out[t.Topic] = map[int32]int64{}
				}
				out[t.Topic][p.Partition] = p.Offset
			}
		}
		return out, nil
	}
	from, err := listAt(since.UnixMilli())
	if err != nil {
		return nil, nil, err
	}
	if ends, err = listAt(-1); err != nil {
		return nil, nil, err
	}
	starts = map[string]map[int32]kgo.Offset{}
	for topic, parts := range from {
		for p, off := range parts {
			if off < 0 || off >= ends[topic][p] {
				continue // nothing written since
			}
			if starts[topic] == nil {
				starts[topic] = map[int32]kgo.Offset{}
			}
			starts[topic][p] = kgo.NewOffset().At(off)
		}
	}
	return starts, ends, nil
}

// findOpenTxns reads the ranges uncommitted, control records included, and
// returns the producers whose last transactional records have no marker after
// them.
func findOpenTxns(ctx context.Context, starts map[string]map[int32]kgo.Offset, ends map[string]map[int32]int64, addr string) ([]*openTxn, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(starts),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()),
		kgo.KeepControlRecords(),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	type key struct {
		topic     string
		partition int32
		pid       int64
	}
	open := map[key]int16{} // transactional records seen since the producer's last marker
	remaining := 0
	for _, parts := range starts {
		remaining += len(parts)
	}
	done := map[string]map[int32]bool{}
	for remaining > 0 {
		// A partition whose last records were compacted away never shows its
		// end offset; a quiet second means everything was read.
		pollCtx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("scan for open transactions: %w", err)
		}
		if fetches.NumRecords() == 0 && pollCtx.Err() != nil {
			break
		}
		var fetchErr error
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				fetchErr = fmt.Errorf("scan %s-%d: %w", topic, p, err)
			}
		})
		if fetchErr != nil {
			return nil, fetchErr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			k := key{r.Topic, r.Partition, r.ProducerID}
			switch {
			case r.Attrs.IsControl():
				delete(open, k)
			case r.Attrs.IsTransactional():
				open[k] = r.ProducerEpoch
			}
			if r.Offset+1 >= ends[r.Topic][r.Partition] && !done[r.Topic][r.Partition] {
				if done[r.Topic] == nil {
					done[r.Topic] = map[int32]bool{}
				}
				done[r.Topic][r.Partition] = true
				remaining--
			}
		})
	}
	byPID := map[int64]*openTxn{}
	var out []*openTxn
	for k, epoch := range open {
		txn := byPID[k.pid]
		if txn == nil {
			txn = &openTxn{producerID: k.pid, epoch: epoch, partitions: map[string][]int32{}}
			byPID[k.pid] = txn
			out = append(out, txn)
		}
		txn.partitions[k.topic] = append(txn.partitions[k.topic], k.partition)
	}
	return out, nil
}

func writeAbortMarkers(ctx context.Context, cl *kgo.Client, txn *openTxn) error {
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed = txn.producerID, txn.epoch, false
	for topic, parts := range txn.partitions {
		mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
		mt.Topic, mt.Partitions = topic, parts
		m.Topics = append(m.Topics, mt)
	}
	req.Markers = append(req.Markers, m)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("abort transaction of producer %d: %w", txn.producerID, err)
	}
	for _, rm := range resp.Markers {
		for _, rt := range rm.Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					return fmt.Errorf("abort transaction of producer %d on %s-%d: %w", txn.producerID, rt.Topic, rp.Partition, err)
				}
			}
		}
	}
	return nil
}
