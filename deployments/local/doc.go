// Package local runs the servers the demo (`make run`) and the tests need on
// this machine, each in a directory of its own on a free loopback port, so
// nothing is shared with a system-wide server and a test cleans up by
// stopping its process and removing its directory.
//
// MariaDB is started with the binary log configured as CDC needs it: row
// format, full row images and full row metadata (column names, signedness,
// charsets and primary keys in every table-map event).
//
// PostgreSQL (15 preferred, from Debian's /usr/lib/postgresql/VERSION/bin)
// serves the superuser tributary/tributary and its database tributary over
// TCP with a password (Postgres.URL, for pgx), and trusts connections on its
// unix socket, which Exec and Query use through psql. PostgreSQL refuses to
// run as root, so under root it runs as the system user postgres and owns its
// data directory. Its wal_level is logical.
//
// Data directories are initialised on first use and reused afterwards, so
// `make run` keeps its data across runs; a server that was killed leaves
// nothing that stops the next start.
package local
