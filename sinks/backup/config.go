package backup

import (
	"fmt"
	"strings"
	"time"
	// The zone database is compiled in, so partition.timezone works in
	// minimal container images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// Config is the backup sink's configuration.
type Config struct {
	// Topics is subscribed by the runtime; it is declared so validation and
	// the generated spec know the key.
	Topics []string `json:"topics" importance:"high" group:"Layout" doc:"Topics to back up, comma separated (subscribed by the runtime)."`

	Root        string `json:"backup.root" validate:"required" importance:"high" group:"Layout" doc:"Where the files go: a local directory, or s3://bucket/prefix when s3.endpoint is set. Files are <root>/<table>/ds=YYYYMMDD/hh=HH/part-<topic>-<partition>-<first offset>-<last offset>.parquet."`
	TableFormat string `json:"table.name.format" default:"${topic}" importance:"medium" group:"Layout" doc:"Table directory under backup.root. ${topic} is replaced by the record's topic; then every character other than a letter, digit, _ or - becomes _, so topic ods.qos_log is table ods_qos_log. Several topics may share a table: file names carry the topic."`
	Columns     string `json:"table.schema.columns" importance:"high" group:"Layout" doc:"Declared columns, as in a CREATE TABLE: \"id bigint not null, name varchar(64), amount decimal(12,2), ts timestamp\". Each becomes a typed Parquet column filled from the row field of that name (exact, else case-insensitive); other fields are not kept. Empty: every record is kept whole as key and value (JSON text) columns."`

	TimeField string `json:"partition.time.field" importance:"high" group:"Partitioning" doc:"Row field holding the event time that picks ds and hh. Empty: the Kafka record timestamp. Text with an offset is an instant and text without one a wall-clock time in partition.timezone; numbers are wall-clock time (as Debezium writes DATETIME) in a field declared timestamp in table.schema.columns, epoch instants in timestamp.epoch.unit otherwise. A record without this field is dead-lettered."`
	TimeUnit  string `json:"timestamp.epoch.unit" default:"ms" validate:"oneof=s ms us ns" importance:"medium" group:"Partitioning" doc:"Unit of numeric timestamps: the partition.time.field and columns declared as timestamp or timestamptz (Debezium writes DATETIME(4-6) in us)."`
	Timezone  string `json:"partition.timezone" default:"UTC" importance:"high" group:"Partitioning" doc:"IANA time zone whose local date and hour name the partitions (ds, hh), e.g. Asia/Shanghai. It is also the zone of wall-clock values: text without an offset is read in it, and an instant given to a column declared timestamp or date (Debezium writes MySQL TIMESTAMP as UTC text) is kept as its wall-clock time there."`

	FlushSize      int           `json:"flush.size" default:"100000" validate:"gt=0" importance:"medium" group:"Files" doc:"Most rows in one file: a partition's buffer reaching it is written at once. Every flush of the task (offset.flush.interval.ms of the connector, else the worker's offset.flush.interval) also writes every buffer, so an hour gets a file per flush per Kafka partition with data; set offset.flush.interval.ms to minutes (e.g. 300000) for fewer, larger files."`
	MaxRows        int           `json:"buffer.max.rows" default:"500000" validate:"gt=0" importance:"low" group:"Files" doc:"Most rows the task holds in memory across all its buffers (one per Kafka partition and hour) between flushes; beyond it the largest buffers are written as files until half of it is left."`
	MaxBytes       int64         `json:"buffer.max.bytes" default:"268435456" validate:"gt=0" importance:"low" group:"Files" doc:"Most bytes (an estimate of the rows' memory) the task holds in its buffers between flushes; beyond it the largest buffers are written as files until half of it is left."`
	RotateInterval time.Duration `json:"rotate.interval.ms" default:"0" validate:"gte=0" importance:"low" group:"Files" doc:"Write a buffer once it has been open this long (wall-clock), even between flushes; 0 leaves it to flushes and flush.size."`
	Compression    string        `json:"parquet.compression" default:"snappy" validate:"oneof=snappy zstd gzip none" importance:"low" group:"Files" doc:"Compression codec of the Parquet pages."`

	SuccessMarker bool          `json:"success.marker.enabled" default:"true" importance:"medium" group:"Success marker" doc:"Write _SUCCESS in an hour directory once the task's watermark has passed the hour's end and its rows are flushed."`
	SuccessDelay  time.Duration `json:"success.marker.delay.ms" default:"300000" validate:"gte=0" importance:"medium" group:"Success marker" doc:"Lateness allowed before _SUCCESS: the watermark is the event time reached by the task's partitions minus this delay."`
	IdleTimeout   time.Duration `json:"success.idle.timeout.ms" default:"60000" validate:"gt=0" importance:"low" group:"Success marker" doc:"A Kafka partition without records for this long no longer holds the watermark back."`

	S3Endpoint  string       `json:"s3.endpoint" importance:"high" group:"S3" doc:"host:port of an S3-compatible service (MinIO, OSS, COS, AWS S3); set it to write to backup.root=s3://bucket/prefix."`
	S3AccessKey string       `json:"s3.access.key" importance:"high" group:"S3" doc:"Access key id."`
	S3SecretKey sdk.Password `json:"s3.secret.key" importance:"high" group:"S3" doc:"Secret access key."`
	S3Region    string       `json:"s3.region" default:"us-east-1" importance:"low" group:"S3" doc:"Region of the bucket."`
	S3UseSSL    bool         `json:"s3.use.ssl" default:"true" importance:"medium" group:"S3" doc:"Use HTTPS."`
}

// settings is a Config checked and parsed further than its tags can.
type settings struct {
	Config
	table   tableTemplate
	loc     *time.Location
	unit    time.Duration
	columns []row.Column // nil: the generic layout
	bucket  string       // S3 only
	prefix  string       // S3 only: the key prefix, without trailing slash
}

var timeUnits = map[string]time.Duration{"s": time.Second, "ms": time.Millisecond, "us": time.Microsecond, "ns": time.Nanosecond}

// parseConfig decodes and checks cfg; problems are reported as
// *sdk.ValidationError, like the tag rules'.
func parseConfig(cfg sdk.Config) (*settings, error) {
	s := &settings{}
	if err := sdk.Decode(cfg, &s.Config); err != nil {
		return nil, err
	}
	bad := map[string][]string{}
	var err error
	if s.table, err = parseTableTemplate(s.TableFormat); err != nil {
		bad["table.name.format"] = append(bad["table.name.format"], err.Error())
	}
	if s.loc, err = time.LoadLocation(s.Timezone); err != nil || s.Timezone == "Local" {
		bad["partition.timezone"] = append(bad["partition.timezone"], "must be an IANA time zone name such as UTC or Asia/Shanghai")
	}
	s.unit = timeUnits[s.TimeUnit]
	if strings.TrimSpace(s.Columns) != "" {
		if s.columns, err = row.ParseColumns(s.Columns); err != nil {
			bad["table.schema.columns"] = append(bad["table.schema.columns"], err.Error())
		}
		for _, c := range s.columns {
			if reserved(c.Name) {
				bad["table.schema.columns"] = append(bad["table.schema.columns"],
					fmt.Sprintf("column %s clashes with a column the sink writes (ds, hh, _topic, _partition, _offset, _timestamp, _op)", c.Name))
			}
			if _, err := parquetColumn(c); err != nil {
				bad["table.schema.columns"] = append(bad["table.schema.columns"], err.Error())
			}
		}
	}
	if s.S3Endpoint != "" {
		rest, ok := strings.CutPrefix(s.Root, "s3://")
		s.bucket, s.prefix, _ = strings.Cut(rest, "/")
		s.prefix = strings.Trim(s.prefix, "/")
		if !ok || s.bucket == "" {
			bad["backup.root"] = append(bad["backup.root"], "must be s3://bucket/prefix when s3.endpoint is set")
		}
	} else if strings.HasPrefix(s.Root, "s3://") {
		bad["s3.endpoint"] = append(bad["s3.endpoint"], "required when backup.root is an s3:// URL")
	}
	if len(bad) > 0 {
		return nil, &sdk.ValidationError{Fields: bad}
	}
	return s, nil
}

// reserved names the columns the sink adds: the metadata columns and the
// hive partition columns DuckDB and Spark read from the path.
func reserved(name string) bool {
	switch strings.ToLower(name) {
	case "ds", "hh", colTopic, colPartition, colOffset, colTimestamp, colOp:
		return true
	}
	return false
}
