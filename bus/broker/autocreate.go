package broker

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// autoCreator creates topics on first use, as Kafka's
// auto.create.topics.enable does.
//
// kfake can do this itself, but a topic it creates from a metadata request is
// written to its data directory only at a clean shutdown: after a SIGKILL the
// topic is forgotten and its partition files are reused from offset 0, which
// loses every record in it. So the broker turns kfake's auto-creation off and
// creates the topic through CreateTopic, which persists at once, before kfake
// answers the metadata request.
type autoCreator struct {
	cluster    *kfake.Cluster
	partitions int32
	known      sync.Map // topic name → struct{}: topics seen to exist
}

func installAutoCreate(c *kfake.Cluster, partitions int) {
	a := &autoCreator{cluster: c, partitions: int32(partitions)}
	c.ControlKey(int16(kmsg.Metadata), a.onMetadata)
	c.ControlKey(int16(kmsg.DeleteTopics), a.onDeleteTopics)
}

// onMetadata runs on kfake's request loop. It must not call the cluster's
// admin methods there (they queue onto that same loop), so the creation runs
// under SleepControl, which yields the loop until it is done.
func (a *autoCreator) onMetadata(req kmsg.Request) (kmsg.Response, error, bool) {
	a.cluster.KeepControl()
	mreq, ok := req.(*kmsg.MetadataRequest)
	if !ok || !mreq.AllowAutoTopicCreation {
		return nil, nil, false
	}
	var missing []string
	for _, t := range mreq.Topics {
		if t.Topic == nil || *t.Topic == "" {
			continue
		}
		if _, seen := a.known.Load(*t.Topic); !seen {
			missing = append(missing, *t.Topic)
		}
	}
	if len(missing) == 0 {
		return nil, nil, false
	}
	a.cluster.SleepControl(func() {
		for _, t := range missing {
			if a.cluster.TopicInfo(t) == nil {
				// An error (an invalid name) leaves the topic missing, and
				// kfake answers the metadata request with the topic error.
				if err := a.cluster.CreateTopic(t, a.partitions, nil); err != nil {
					continue
				}
			}
			a.known.Store(t, struct{}{})
		}
	})
	return nil, nil, false
}

func (a *autoCreator) onDeleteTopics(req kmsg.Request) (kmsg.Response, error, bool) {
	a.cluster.KeepControl()
	if dreq, ok := req.(*kmsg.DeleteTopicsRequest); ok {
		for _, t := range dreq.Topics {
			if t.Topic != nil {
				a.known.Delete(*t.Topic)
			}
		}
		for _, name := range dreq.TopicNames {
			a.known.Delete(name)
		}
	}
	return nil, nil, false
}
