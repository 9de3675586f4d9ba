package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/tributarydata/tributary/deployments/local"
)

// runLocal runs a local server for the demo until interrupted.
func runLocal(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "mariadb" {
		return fmt.Errorf("usage: tributary local mariadb --dir DIR [--port PORT] [--init FILE.sql]")
	}
	fs := flag.NewFlagSet("tributary local mariadb", flag.ExitOnError)
	dir := fs.String("dir", "deployments/local/data/mariadb", "data directory, initialised on first use and kept")
	port := fs.Int("port", 3307, "TCP port on 127.0.0.1")
	initSQL := fs.String("init", "", "SQL file run as root once the server is up (use IF NOT EXISTS: it runs on every start)")
	logger := logFlags(fs)
	_ = fs.Parse(args[1:])
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
