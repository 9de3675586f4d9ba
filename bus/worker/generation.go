package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
)

// A stateful transform places input partition p on task p mod tasks.max
// (openState), so changing tasks.max moves partitions between task numbers:
// with 2 tasks partition 2 belongs to task 0, with 3 tasks to task 2. Task
// 2's producer does not fence task 0's, so for as long as the old task 0
// runs (on a worker that has not yet seen the new config, or on one that
// lost its session without noticing) both would process partition 2 and
// both would commit: double counts in the output and a corrupt changelog.
//
// So, as Kafka Connect does for exactly-once sources (KIP-618), every task
// count is a generation with transactional ids of its own, and a task of a
// new generation fences the ids of every other generation before it reads
// any state or offset. The generations in use are recorded in the offsets
// topic, one key per task count, so concurrent writers never lose each
// other's record: a task writes its own key, syncs, and then sees every
// generation that started before it; of two generations starting at once,
// the later one to sync fences the earlier.

// generationKeyPrefix starts the offsets-topic keys recording the task
// counts a stateful connector has run with; they are not JSON, so the
// source-offset reader skips them.
const generationKeyPrefix = "stateful-generation/"

func generationKey(connector string, tasks int) string {
	return generationKeyPrefix + connector + "/" + strconv.Itoa(tasks)
}

// StatefulTransactionalID is the transactional id of task `task` of a
// stateful transform connector running `tasks` tasks in worker group
// `group`: the task count is part of it, see above.
func StatefulTransactionalID(group, connector string, task, tasks int) string {
	return fmt.Sprintf("%s-%s-%d-of-%d", group, connector, task, tasks)
}

// fenceOtherGenerations records this task's generation and fences every
// producer of the connector's other generations. It must run after the
// task's own producer has initialised its transactions (so a generation
// that starts later and fences this one cannot miss it) and before the task
// restores state or reads offsets (so what it reads is final).
func (x *transformTask) fenceOtherGenerations(ctx context.Context, tasks int) error {
	offsets := x.w.offsets
	own := generationKey(x.id.Connector, tasks)
	if err := offsets.Put(ctx, own, []byte(strconv.Itoa(tasks))); err != nil {
		return fmt.Errorf("record the task generation: %w", err)
	}
	if err := offsets.Sync(ctx); err != nil {
		return fmt.Errorf("read the task generations: %w", err)
	}
	prefix := generationKeyPrefix + x.id.Connector + "/"
	for key := range offsets.Snapshot() {
		count, ok := strings.CutPrefix(key, prefix)
		if !ok || key == own {
			continue
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 {
			continue
		}
		for i := range n {
			id := StatefulTransactionalID(x.w.cfg.Group, x.id.Connector, i, n)
			if err := x.fence(ctx, id); err != nil {
				return fmt.Errorf("fence task %d of the %d-task generation (%s): %w", i, n, id, err)
			}
		}
		x.log.Info("fenced the producers of an earlier task count", "tasks", n, "now", tasks)
		// Fenced for good: a producer of that generation that starts again
		// records the key anew (and fences this one in its turn).
		if err := offsets.Put(ctx, key, nil); err != nil {
			return fmt.Errorf("forget the %d-task generation: %w", n, err)
		}
	}
	return nil
}

// fence initialises transactions under id and closes the producer: the
// broker bumps the id's epoch, aborts its open transaction and refuses any
// older producer of that id from then on.
func (x *transformTask) fence(ctx context.Context, id string) error {
	p, err := ckafka.NewProducer(x.w.cfg.Kafka.ProducerMap(nil, kafka.Props{
		"transactional.id":   id,
		"enable.idempotence": "true",
		"acks":               "all",
	}))
	if err != nil {
		return err
	}
	defer p.Close()
	go kafka.DrainEvents(p)
	initCtx, cancel := context.WithTimeout(ctx, txnTimeout)
	defer cancel()
	return p.InitTransactions(initCtx)
}

// fencedGrace is how long a task whose producer was fenced waits to be
// stopped before it reports FAILED. Being fenced is the normal end of a task
// superseded by a config change or a move, which its worker stops as soon as
// it reads the change; reporting FAILED at once would overwrite the status
// of its successor. A task still running after the grace was fenced by
// something else (a stale worker running an old generation) and fails.
const fencedGrace = 15 * time.Second

// isFenced reports whether err says another producer with the task's
// transactional id, or of a newer generation, took over.
func isFenced(err error) bool {
	var kerr ckafka.Error
	if !errors.As(err, &kerr) {
		return false
	}
	switch kerr.Code() {
	case ckafka.ErrFenced, ckafka.ErrProducerFenced, ckafka.ErrInvalidProducerEpoch:
		return true
	}
	return false
}
