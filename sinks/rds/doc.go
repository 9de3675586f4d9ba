// Package rds is the MySQL/MariaDB sink (tributary.sinks.rds): it writes
// records into the warehouse's result tables on RDS with
// INSERT … ON DUPLICATE KEY UPDATE, with the hologres sink's batching,
// deduplication and delete semantics. Records are plain JSON rows or
// Debezium change events; package row reads them against the table's
// columns.
//
// Writes. Write is synchronous and durable: it reads records into per-table
// batches, merged by key (the last record wins; in insertorupdate a later
// partial row updates only what it carries), and writes at most batch.size
// records in one transaction: the deletes first (DELETE … WHERE k IN (…)),
// then upserts grouped by the columns present.
// When it returns n, records [0, n) are committed; Flush has nothing left to
// do, and the runtime commits offsets only after that. Since rows are
// upserted by key, replaying records after a crash leaves the table as one
// pass would. Appends (insert.mode=insert) are not: a replay appends
// the replayed rows again (at least once).
//
// Modes (mutate.type, with insert.mode=upsert):
//
//	insertorupdate   ON DUPLICATE KEY UPDATE c=VALUES(c) for the non-key columns the record carries
//	insertorreplace  … and c=DEFAULT(c) for those it lacks, so the row is the record's
//	insertorignore   ON DUPLICATE KEY UPDATE k=k: the existing row stays
//
// insert.mode=update updates rows that exist (UPDATE … WHERE key, row by
// row) and creates none; insert.mode=insert appends every record with
// plain multi-row INSERTs, without deduplication or deletes (it needs
// delete.enabled=false), and is the only mode for pk.mode=none. These rules
// are the hologres sink's.
//
// VALUES(c) becomes a row alias (INSERT … AS new … c=new.c) on MySQL
// 8.0.19 and later, which deprecates VALUES(); MariaDB keeps VALUES(). No
// INSERT IGNORE or REPLACE: the first turns data errors into warnings, the
// second deletes and re-inserts rows, firing cascades. An INSERT that lacks
// a NOT NULL column without a default fails even when the row exists, so
// partial rows of such tables update existing rows by key (UPDATE … WHERE),
// and only a row that does not exist is inserted, for the server to refuse.
// On a table with unique keys besides the sink's, ON DUPLICATE KEY UPDATE
// would update whichever row a record collides with; there the first
// assignment sets the key to NULL unless the colliding row is the record's
// own, so the record fails rather than overwrite another row.
//
// Statements are prepared once per connection and cached by their text,
// and executed with the binary protocol, the sink encoding the arguments
// itself; a batch's rows go in statements of a multiple of 128 rows, then
// of powers of two for the rest, within 65535 placeholders and 8 MiB of
// values (or half of max_allowed_packet), so a few dozen statements per
// table serve every batch and a batch takes few round trips. Rows of one
// statement are sorted by key, so two tasks (or another writer) lock rows
// in the same order. Reading records (JSON decoding, conversion) costs the
// client a good part of what the server spends writing them, so a
// transaction is read and written in pieces, the next read on another
// goroutine while the server writes the current one: a first piece of 512
// records, so that the server starts soon, then the rest, up to 4096 at a
// time. Each piece is merged by key on its own and its statements follow
// those of the pieces before, so a key in two pieces ends as one merge of
// both would leave it.
//
// The session is strict (STRICT_ALL_TABLES, NO_ZERO_DATE, NO_ZERO_IN_DATE,
// ERROR_FOR_DIVISION_BY_ZERO, NO_ENGINE_SUBSTITUTION, NO_AUTO_VALUE_ON_ZERO),
// UTC and utf8mb4: a too-long string or an impossible value is an error,
// never truncated or zeroed.
//
// Errors. A record package row refuses (a field of the wrong type, a missing
// key, a string longer than its column), or one bigger than a statement may
// carry, is returned as *sdk.RecordError after the records before it are
// written. A server error that is the data's fault (1406 too long, 1366 and
// 1292 bad values, 1048 and 1364 missing values, 1264 out of range, 1452
// foreign key, 4025 and 3819 CHECK, 1062 duplicate) rolls the chunk back and
// writes its records again one at a time, in order, in one transaction, to
// find the first the server refuses: the records before it are committed and
// it is returned as a RecordError naming the table, the column and the error
// number. A passing fault (a lost or killed connection, a server restarting
// or read-only during a failover, 1213 deadlock, 1205 lock wait timeout,
// 1040 too many connections) rolls the chunk back and is returned as
// sdk.Retriable with the committed count; the next Write reconnects. The
// runtime retries only within errors.retry.timeout, whose default 0 fails
// the task at the first such fault: set it (e.g. 300000) for the sink to
// ride out restarts and deadlocks. 1054 (unknown column) and 1146 (no such
// table) also make the sink read the table's catalog again. Anything else (a
// refused login, a missing privilege) fails the task.
//
// Tables. table.name.format maps a topic to a table; db.table names another
// database than the connection's. The table's columns and key come from
// information_schema; generated columns and columns of types package row
// does not know (BIT, YEAR, spatial) are left to the server. pk.fields must
// be the primary key or a unique key, since that is how the server finds the
// row. MariaDB's JSON columns (LONGTEXT with CHECK (json_valid(c))) take
// JSON as MySQL's do: an object or array, or a string holding JSON text, is
// stored as compact JSON, any other string as a JSON string. The catalog is
// read again every minute, so a column added to a table is written from
// then on. With auto.create a missing table is created from
// table.schema.columns (CREATE TABLE IF NOT EXISTS, so tasks may race); an
// existing table is never altered.
//
// The connection is one per task, given as a go-sql-driver DSN
// (user:pass@tcp(host:port)/db, as RDS_URL is), a mysql:// URL or a JDBC
// URL. A transaction that takes longer than write.timeout.ms, or a Write
// whose context ends, closes the connection, which interrupts the statement
// running; the server rolls its transaction back.
package rds
