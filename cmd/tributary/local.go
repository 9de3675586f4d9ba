package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/tributarydata/tributary/deployments/local"
)

const localUsage = `usage: tributary local mariadb --dir DIR [--port PORT] [--init FILE.sql]
       tributary local postgres --dir DIR [--port PORT] [--init FILE.sql]`

// runLocal runs a local server for the demo until interrupted.
func runLocal(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(localUsage)
	}
	switch args[0] {
	case "mariadb":
		return runLocalMariaDB(ctx, args[1:])
	case "postgres":
		return runLocalPostgres(ctx, args[1:])
	}
	return fmt.Errorf("unknown server %q\n%s", args[0], localUsage)
}

func runLocalMariaDB(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary local mariadb", flag.ExitOnError)
	dir := fs.String("dir", "deployments/local/data/mariadb", "data directory, initialised on first use and kept")
	port := fs.Int("port", 3307, "TCP port on 127.0.0.1")
	initSQL := fs.String("init", "", "SQL file run as root once the server is up (use IF NOT EXISTS: it runs on every start)")
	logger := logFlags(fs)
	_ = fs.Parse(args)
	log := logger()
	m, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: *dir, Port: *port})
	if err != nil {
		return err
	}
	defer m.Stop()
	if *initSQL != "" {
		sql, err := os.ReadFile(*initSQL)
		if err != nil {
			return err
		}
		if err := m.ExecRoot(ctx, string(sql)); err != nil {
			return err
		}
	}
	log.Info("MariaDB listening", "addr", m.Addr(), "user", m.User, "password", m.Password, "dir", m.Dir)
	<-ctx.Done()
	log.Info("stopping MariaDB")
	return nil
}

func runLocalPostgres(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary local postgres", flag.ExitOnError)
	dir := fs.String("dir", "deployments/local/data/postgres", "directory of the cluster and its log, initialised on first use and kept")
	// 5433: the system's PostgreSQL, if any, has 5432.
	port := fs.Int("port", 5433, "TCP port on 127.0.0.1")
	initSQL := fs.String("init", "", "SQL file (psql script) run as the tributary superuser in database tributary once the server is up (use IF NOT EXISTS: it runs on every start)")
	logger := logFlags(fs)
	_ = fs.Parse(args)
	log := logger()
	p, err := local.StartPostgres(ctx, local.PostgresOptions{Dir: *dir, Port: *port})
	if err != nil {
		return err
	}
	defer p.Stop()
	if *initSQL != "" {
		sql, err := os.ReadFile(*initSQL)
		if err != nil {
			return err
		}
		if err := p.Exec(ctx, string(sql)); err != nil {
			return err
		}
	}
	log.Info("PostgreSQL listening", "url", p.URL(), "dir", p.Dir)
	<-ctx.Done()
	log.Info("stopping PostgreSQL")
	return nil
}
