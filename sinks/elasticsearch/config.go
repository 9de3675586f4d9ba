package elasticsearch

import (
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the Elasticsearch sink's configuration. Keys shared with
// Confluent's Elasticsearch sink connector have its names.
type Config struct {
	URLs     []string     `json:"connection.url" validate:"required" importance:"high" doc:"Elasticsearch node URLs, comma separated (http://es1:9200,http://es2:9200); requests go to them in turn."`
	Username string       `json:"connection.username" importance:"medium" doc:"User for HTTP basic authentication; empty sends none."`
	Password sdk.Password `json:"connection.password" importance:"medium" doc:"Password of connection.username."`

	Index        string `json:"index" default:"${topic}" importance:"high" doc:"Index each document goes to. ${topic} is replaced by the record's topic in lower case; ${date:FORMAT} by the date of index.date.field, or of the record's timestamp when that is empty, formatted with yyyy, yy, MM, dd and HH, e.g. vk_app_es_sign_csh-${date:yyyy.MM.dd}. The rest must be a valid index name: lower case, none of \\ / * ? \" < > | , # : or spaces."`
	DateField    string `json:"index.date.field" importance:"medium" doc:"Field of the row whose date fills ${date:…}: epoch numbers in index.date.unit, or text like 2026-11-21T06:29:00Z, 2026-11-21 06:29:00 or 2026-11-21. Empty uses the record's Kafka timestamp."`
	DateUnit     string `json:"index.date.unit" default:"ms" validate:"oneof=s ms us days" importance:"low" doc:"Unit of numeric index.date.field values: s, ms, us (Debezium's DATETIME(4-6) and MicroTimestamp) or days (Debezium's DATE)."`
	DateTimezone string `json:"index.date.timezone" default:"UTC" importance:"medium" doc:"Time zone whose calendar ${date:…} uses, e.g. Asia/Shanghai. Text dates without an offset are read as wall time in it, so their day is the one they name."`

	KeyFields     []string `json:"key.fields" importance:"high" doc:"Fields whose values, joined with _, give the document _id. Empty uses the record key (the values of a JSON object key such as Debezium's, joined with _, or the key as text); with neither, _id is topic+partition+offset, so a replay overwrites the same documents."`
	WriteMethod   string   `json:"write.method" default:"index" validate:"oneof=index upsert" importance:"high" doc:"index replaces the whole document; upsert updates the fields the record has (update with doc_as_upsert), keeping the others."`
	DeleteEnabled bool     `json:"delete.enabled" default:"true" importance:"medium" doc:"Delete the document for delete events (op d, named by the before row) and tombstones (named by the record key); false ignores both."`

	BatchSize      int           `json:"batch.size" default:"1000" validate:"gt=0" importance:"low" doc:"Most records sent in one bulk request."`
	BatchMaxBytes  int           `json:"batch.max.bytes" default:"10485760" validate:"gt=0" importance:"low" doc:"Most bytes of one bulk request body; larger batches are split. Keep it under the cluster's http.max_content_length."`
	MaxRetries     int           `json:"max.retries" default:"5" validate:"gte=0" importance:"low" doc:"Times a bulk request or item that failed with 429, 409, 5xx or a connection fault is sent again, with backoff, before the batch is handed back to the runtime as retriable."`
	RetryBackoff   time.Duration `json:"retry.backoff.ms" default:"100" validate:"gt=0" importance:"low" doc:"Wait before the first retry; it doubles with each retry, up to 10 s."`
	RequestTimeout time.Duration `json:"request.timeout.ms" default:"30000" validate:"gt=0" importance:"low" doc:"Timeout of one bulk request."`

	// Topics is subscribed by the runtime; it is declared so validation and
	// the generated spec know the key.
	Topics []string `json:"topics" importance:"high" doc:"Topics to read, comma separated (subscribed by the runtime)."`
}
