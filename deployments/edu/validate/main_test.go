package validate

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/deployments/local/localtest"
)

// One MariaDB and one PostgreSQL serve the package's tests; each test
// works in a database (MariaDB) or schema (PostgreSQL) of its own.
var (
	mariaDB    *local.MariaDB
	mariaDBErr error
	postgres   localtest.Postgres
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		defer postgres.Stop()
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "validate-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		mariaDB, mariaDBErr = local.StartMariaDB(ctx, local.MariaDBOptions{Dir: filepath.Join(dir, "mariadb")})
		cancel()
		defer func() {
			if mariaDB != nil {
				mariaDB.Stop()
			}
		}()
		return m.Run()
	}()
	os.Exit(code)
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// rdsDatabase creates a database for the test and returns its DSN in the
// form RDS_URL takes and an admin connection to it.
func rdsDatabase(t *testing.T) (dsn string, admin *client.Conn) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	if mariaDBErr != nil {
		t.Fatalf("start MariaDB: %v", mariaDBErr)
	}
	name := "t_" + strings.Trim(nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 60 {
		name = name[:60]
	}
	ctx := context.Background()
	if err := mariaDB.ExecRoot(ctx, "DROP DATABASE IF EXISTS `"+name+"`; CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(mariaDB.Addr(), mariaDB.User, mariaDB.Password, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Execute("SET NAMES utf8mb4"); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%s@tcp(%s)/%s", mariaDB.User, mariaDB.Password, mariaDB.Addr(), name), c
}

// servingSchema creates a schema for the test on the test PostgreSQL and
// returns a URL whose search_path is that schema.
func servingSchema(t *testing.T) string {
	t.Helper()
	srv := postgres.Server(t)
	_, url := postgres.Schema(t, srv, "validate", nil)
	return url
}
