// Package applog is the app event collector: an HTTP endpoint that app SDKs
// post batches of JSON events to, answering only once Kafka has every event
// of the batch.
//
// Requests. POST /v1/events with a JSON array of objects, or NDJSON (one
// object per line; blank lines are skipped), or a single object. A body is
// read as NDJSON when its Content-Type says so (application/x-ndjson,
// application/ndjson, application/jsonl), as an array when it starts with
// "[", as one event when it is one JSON value, and as NDJSON otherwise.
// Content-Encoding: gzip is accepted. A body may hold max.body.bytes both as
// sent and decompressed, and at most max.pending.events events. With
// api.keys set, a request carries its app's key in X-API-Key or as
// Authorization: Bearer <key>. GET /health, for load balancers, needs no key;
// it answers 200 while the task runs and takes events, 503 once it stops, and
// 503 after a request timed out until the runtime reads or acknowledges
// again (the connector is paused, or Kafka is not answering).
//
// Answers, each with a JSON body:
//
//	200  every event is in Kafka: {"accepted": n}.
//	207  some events (perhaps all) were invalid; every other one is in Kafka:
//	     {"accepted": n, "invalid": m, "errors": [{"index": i, "line": l, "error": "..."}]}
//	     index counts from 0 among the array's elements or the non-blank
//	     lines; line is the 1-based line of an NDJSON event; errors lists
//	     the first 1000 invalid events, invalid counts them all. Do not
//	     resend invalid events: they will be refused again.
//	400  the body cannot be split into events (empty, malformed array or
//	     gzip); nothing was taken.
//	401  the API key is missing or unknown.
//	413  the body is over max.body.bytes (as sent or decompressed), or
//	     holds more than max.pending.events events, or needs more than
//	     max.pending.bytes: send smaller batches.
//	415  a Content-Encoding other than gzip.
//	429  (Retry-After) the task holds max.pending.events or
//	     max.pending.bytes of events Kafka has not acknowledged yet, or
//	     max.concurrent.requests bodies are being read: retry later.
//	503  (Retry-After) the task is stopping or stopped, or Kafka did not
//	     acknowledge the batch within ack.timeout.ms: retry the whole batch.
//
// An event is invalid when it is not a JSON object (a line that is not JSON,
// an array, a number...), is not UTF-8, has a route.field that is not a
// string or does not make a legal topic, a timestamp.field that is neither
// milliseconds nor RFC 3339, or makes a record over the runtime's
// max.record.bytes. Invalid events never fail the task: one bad client must
// not stop the stream. With errors.tolerance=all they also go to the
// dead-letter topic (errors.deadletterqueue.topic.name; without one the
// runtime only counts them), the reason in its
// __connect.errors.exception.message header and stage TASK_POLL, the value
// cut to 64 KiB or half of max.record.bytes (tributary.event.truncated then
// holds the full length); with errors.tolerance=none only the client hears
// of them.
//
// Delivery. Handlers queue their batch's records; Read hands out what is
// queued, merging requests up to batch.size records, so one Kafka transaction
// (exactly-once) carries many requests, and a large request may be split over
// several. Each record's position is partition {"collector": <connector
// name>, "task": <task number>}, offset {"seq": n}, n numbering the requests
// of the task in arrival order, growing across restarts. When the runtime
// acknowledges a position, Kafka has every record read before it and the
// position is stored: every request numbered up to its seq whose records
// were all read gets its answer (a request split over reads waits for the
// acknowledgement of its last part). Nothing answered 200 or 207 is lost.
// Delivery is at least once:
// a batch answered 503 after ack.timeout.ms, or cut by a stop, may already be
// partly or wholly in Kafka, and its retry sends it again. Apps should give
// every event a unique id (a UUID), which consumers deduplicate on; with
// key.field naming it, the id is also the record key. A request whose
// client gave up, or that timed out, before Read took any of its records is
// withdrawn, so its retry is its only copy.
//
// Records. The value is the event's bytes as sent (without surrounding
// whitespace); the key comes from key.field (none by default); the topic from
// route.field through route.topics or topic.prefix, else topic; the timestamp
// from timestamp.field, else the receive time. Headers: tributary.app, the
// app whose key was used (absent on an open endpoint), and
// tributary.received.at, the receive time in RFC 3339.
//
// Bounds. The memory events take is bounded by max.pending.events and
// max.pending.bytes (events waiting for Kafka, per task) plus
// max.concurrent.requests bodies of max.body.bytes being read and split (a
// request over the room left is refused before its records are built), and
// does not grow with the number of clients; requests get
// request.read.timeout.ms to arrive.
//
// Tasks. On Linux a connector runs tasks.max tasks, which bind listen with
// SO_REUSEPORT: tasks on one host share the port, the kernel spreading
// connections over them, and each delivers its own batches, so throughput
// grows with tasks. Tasks on different workers listen on their own hosts; put
// a load balancer that checks /health in front. Elsewhere a connector runs
// one task, as a second could not bind the port. Stopping a task answers its
// waiting requests 503 at once, and closes the server within 5 seconds.
//
// Security. API keys travel in clear over plain HTTP: terminate TLS in front
// of the collector (a load balancer or proxy). Keys are compared in constant
// time.
package applog
