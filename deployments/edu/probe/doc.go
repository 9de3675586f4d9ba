// Package probe measures a running education warehouse from outside, as
// `tributary probe` does beside `make run`: the end-to-end latency of the
// stream, the records each connector moves per second, and each worker's
// memory.
//
// # Latency
//
// Every interval a probe posts one channel-dictionary line to the app
// collector, as the app would, with an id of its own
// ("tributary-probe-<run>-<n>"), and watches the serving store's
// channel_name_dictionary for the row: collector → ods.channel_name_dictionary
// → registration-level (unwrap, extract, md5 rowkey) →
// dwd.channel_name_dictionary → the hologres sink. The latency is from just
// before the POST to the first poll that finds the row; polls run every
// PollInterval (10 ms), which bounds the error. Once seen, the probe posts
// the row's delete (a Debezium-style op d), so the dimension is left as it
// was; the deletes travel the same path and land in the backup too, where
// the Lambda check and bootstrap read them as deleted channels. The probe
// channel ids are not ones any registration carries.
//
// A probe not seen within Timeout is lost; the ones still in flight when
// the run ends are reported apart (unfinished).
//
// # Throughput and memory
//
// Every SampleInterval the probe reads GET /api/v1/metrics/tasks (every
// worker's task counters) and each worker's /metrics
// (process_resident_memory_bytes). A connector's rate is the sum over its
// tasks of the counters' increase, a counter that went down (its task
// restarted, here or on another worker) counting from zero; the peak is the
// highest rate of one sample interval.
package probe
