package applog

import (
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the collector's configuration. Besides these keys the source
// reads two of the runtime's: errors.tolerance (whether invalid events become
// dead letters) and max.record.bytes (the largest event it accepts).
type Config struct {
	Listen string `json:"listen" validate:"required" importance:"high" group:"HTTP" doc:"host:port the HTTP endpoint listens on, e.g. 0.0.0.0:9099. Events are posted to /v1/events; GET /health answers 200 while the task runs. On Linux every task of the connector binds it with SO_REUSEPORT, so the tasks on one host share the port."`
	// Topic also serves the runtime, which sends records naming no topic there.
	Topic string `json:"topic" validate:"required,regexp=^[a-zA-Z0-9._-]+$" importance:"high" group:"Routing" doc:"Default topic: where events go that no route picks."`

	RouteField  string   `json:"route.field" importance:"medium" group:"Routing" doc:"Event field whose value picks the topic: a top-level name, or a dotted path into nested objects (meta.type) when no top-level field has that exact name. Its value must be a string; an absent or null field leaves the event on the default topic. Needs route.topics or topic.prefix."`
	RouteTopics []string `json:"route.topics" validate:"regexp=^.+:[a-zA-Z0-9._-]+$" importance:"medium" group:"Routing" doc:"Topic per value of route.field, as value:topic pairs: signal:ods.classroom_signal,qos:ods.qos_log. A value may hold colons (the last one separates the topic) but not commas."`
	TopicPrefix string   `json:"topic.prefix" validate:"regexp=^[a-zA-Z0-9._-]*$" importance:"medium" group:"Routing" doc:"When set, an event whose route value has no entry in route.topics goes to <topic.prefix><value> (the value must then be a legal topic name, else the event is invalid); when empty it goes to the default topic. Clients pick topic names with it: prefer route.topics when clients are not trusted."`

	KeyField       string `json:"key.field" importance:"medium" group:"Record" doc:"Event field (top-level or dotted path) whose value becomes the record key: a string as its text, any other JSON value as its JSON text. Absent or null: no key. Set it to the event id to let compaction or consumers drop the duplicates that retries make."`
	TimestampField string `json:"timestamp.field" importance:"low" group:"Record" doc:"Event field (top-level or dotted path) holding the event time, as milliseconds since the epoch or an RFC 3339 string; it becomes the record timestamp. Absent or null: the receive time. A value that is neither makes the event invalid; a time more than an hour ahead of the receive time (a wrong device clock) is replaced by the receive time."`

	APIKeys sdk.Password `json:"api.keys" validate:"regexp=^\\s*[^:,\\s]+:[^,\\s]+(\\s*,\\s*[^:,\\s]+:[^,\\s]+)*\\s*$" importance:"high" group:"HTTP" doc:"Per-app API keys as app:key pairs, comma-separated: appA:secret1,appB:secret2 (a key holds no comma or space; give each app its own). Requests must carry one in X-API-Key or Authorization: Bearer, else 401; the app's name goes into each record's tributary.app header. Empty: the endpoint is open and records carry no app."`

	MaxBodyBytes          int           `json:"max.body.bytes" default:"1048576" validate:"gt=0" importance:"medium" group:"Limits" doc:"Largest request body, in bytes, both as sent and after gzip decompression; larger ones get 413."`
	MaxPendingEvents      int           `json:"max.pending.events" default:"100000" validate:"gt=0" importance:"medium" group:"Limits" doc:"Most events a task holds that Kafka has not acknowledged yet (queued or being delivered); a request that would exceed it gets 429, one that could never fit gets 413."`
	MaxPendingBytes       int64         `json:"max.pending.bytes" default:"67108864" validate:"gt=0" importance:"medium" group:"Limits" doc:"Most bytes of request bodies (decompressed) a task holds that Kafka has not acknowledged yet; beyond it requests get 429, or 413 when one alone exceeds it."`
	MaxConcurrentRequests int           `json:"max.concurrent.requests" default:"32" validate:"gt=0" importance:"low" group:"Limits" doc:"Most requests whose bodies are read and parsed at once; more get 429. Requests waiting for Kafka's acknowledgement do not count: max.pending.* bound those."`
	BatchSize             int           `json:"batch.size" default:"5000" validate:"gt=0" importance:"low" group:"Delivery" doc:"Most events handed to the runtime per read: events of several requests are delivered together (one Kafka transaction under exactly-once), a large request in several parts."`
	AckTimeout            time.Duration `json:"ack.timeout.ms" default:"30000" validate:"gt=0" importance:"medium" group:"Delivery" doc:"How long a request waits for Kafka to acknowledge its events, in milliseconds; then it gets 503 and the client retries (events already on their way may then arrive twice)."`
	RetryAfter            time.Duration `json:"retry.after.ms" default:"1000" validate:"gte=0" importance:"low" group:"HTTP" doc:"Delay suggested to clients with 429 and 503 in the Retry-After header, in milliseconds (rounded up to whole seconds)."`
	ReadTimeout           time.Duration `json:"request.read.timeout.ms" default:"30000" validate:"gt=0" importance:"low" group:"HTTP" doc:"How long a client may take to send a whole request, headers and body, in milliseconds."`
}
