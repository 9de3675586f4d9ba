// Package elasticsearch is the Elasticsearch sink: it turns change events
// and plain JSON rows into documents written with the bulk API through the
// go-elasticsearch v8 client, for the warehouse's search-facing results
// (vk_app_es_sign_csh, hourly registrations per level).
//
// Documents. Each record's value is read as a Debezium change event (op c,
// u, r or d, also inside the JsonConverter's schema/payload wrapper) or as a
// plain JSON object, which counts as an upsert. The document is the row (the
// event's after), written as it came: numbers keep their exact text, nested
// objects and arrays stay nested. write.method=index replaces the whole
// document; write.method=upsert sends an update with doc_as_upsert, which
// sets the fields the row has and keeps the others (objects are merged field
// by field, as Elasticsearch merges them).
//
// _id. key.fields joined with "_" (reg_date+level gives "2026112106_A"); with
// no key.fields, the record key: the values of a JSON object key such as
// Debezium's {"id":5} joined with "_" in the key's order ("5"), a JSON string
// or number's text, or the key's bytes as text; with no key either,
// topic+partition+offset, so a replay overwrites the same documents rather
// than doubling them. A missing or null key field, an empty _id or one over
// 512 bytes makes the record unwritable.
//
// Index. index is a pattern: ${topic} is the record's topic in lower case,
// ${date:yyyy.MM.dd} (letters yyyy, yy, MM, dd, HH) the date of
// index.date.field in index.date.timezone, or of the record's Kafka
// timestamp when no field is named. Use a field for tables with deletes:
// a delete event's own timestamp is not the day its document was indexed.
//
// Deletes. An op d event deletes the document its before row names; a 404
// (already gone) counts as done. A tombstone (null value) deletes the
// document its record key names; one without a usable key, or any tombstone
// when the index has a ${date} (the key cannot say which day's index holds
// the document), is skipped: CDC sources write a tombstone after every
// delete event, which has already removed the document. Without key.fields
// and record keys, documents are named by offset and delete events are
// ignored (logged once). delete.enabled=false ignores all deletes.
//
// Guarantees. Write folds the records of a batch into one bulk item per
// document (a delete then an update becomes an index of the update's doc,
// two updates merge), builds the NDJSON body itself with escaped strings,
// sends it, and reads every item of the response. It returns only when all
// items are answered, so Flush has nothing to do and offsets are committed
// only for stored documents (Elasticsearch acknowledges a write once its
// translog is synced, by default). Items refused with 429, 409 or 5xx, and
// whole requests refused with 429 or 5xx or lost to the network, are sent
// again (only the items that failed) up to max.retries times with doubling
// backoff; if they still fail, Write reports the records before the first
// of them as written and returns a retriable error. An item refused with
// another 4xx (mapper_parsing_exception, invalid index name) is a
// *sdk.RecordError for its record, dead-lettered with errors.tolerance=all,
// while the rest of the bulk stands; the records after it that were stored
// are remembered and skipped when the runtime hands them over again. When a
// folded item is refused, its records are sent one by one to find the one
// at fault. A body over the cluster's http.max_content_length (HTTP 413) is
// split in halves; a single document over it is a RecordError.
// batch.max.bytes keeps requests under that limit to begin with. 401/403,
// other whole-request 4xx and a server that is not Elasticsearch (the v8
// client checks the X-Elastic-Product header; OpenSearch does not pass)
// fail the task.
//
// Testing. No Elasticsearch server runs on these machines. The unit tests
// run the sink against estest, an in-memory server in this module that
// speaks the REST API the sink and the v8 client use, keeps documents, and
// can fail requests or items on demand. integration_test.go (build tag
// integration) runs against a real cluster when ES_URL is set.
package elasticsearch
