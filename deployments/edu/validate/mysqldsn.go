package validate

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// mysqlEndpoint is where and as whom to read the RDS result tables.
type mysqlEndpoint struct {
	Addr     string // host:port, or a unix socket's path (go-mysql tells them apart by the /)
	User     string
	Password string
	DB       string
}

// parseMySQLDSN reads RDS_URL: the go-sql-driver form
// [user[:password]@][tcp(host:port)|unix(path)]/db[?params], as the
// warehouse writes it (and sinks/rds reads it), or mysql://user:pass@host:port/db.
// Parameters are ignored: the reads need none.
func parseMySQLDSN(s string) (mysqlEndpoint, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return mysqlEndpoint{}, errors.New("no RDS DSN: set RDS_URL or --rds (user:pass@tcp(host:port)/db)")
	}
	if strings.HasPrefix(s, "mysql://") || strings.HasPrefix(s, "mariadb://") {
		u, err := url.Parse(s)
		if err != nil {
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err // url.Error quotes the URL, password and all
			}
			return mysqlEndpoint{}, fmt.Errorf("RDS DSN: %w", err)
		}
		ep := mysqlEndpoint{Addr: u.Host, DB: strings.TrimPrefix(u.Path, "/")}
		if u.Port() == "" {
			ep.Addr = net.JoinHostPort(strings.Trim(u.Hostname(), "[]"), "3306")
		}
		if u.User != nil {
			ep.User = u.User.Username()
			ep.Password, _ = u.User.Password()
		}
		return ep, nil
	}
	// As go-sql-driver does: split at the last '/', then at the last '@'
	// before it, so a password may hold either.
	slash := strings.LastIndexByte(s, '/')
	if slash < 0 {
		return mysqlEndpoint{}, errors.New("RDS DSN: no /database (want user:pass@tcp(host:port)/db)")
	}
	head, tail := s[:slash], s[slash+1:]
	ep := mysqlEndpoint{}
	ep.DB, _, _ = strings.Cut(tail, "?")
	if at := strings.LastIndexByte(head, '@'); at >= 0 {
		ep.User, ep.Password, _ = strings.Cut(head[:at], ":")
		head = head[at+1:]
	}
	network, addr := "tcp", ""
	if open := strings.IndexByte(head, '('); open >= 0 {
		if !strings.HasSuffix(head, ")") {
			return mysqlEndpoint{}, fmt.Errorf("RDS DSN: address %q lacks ')'", head)
		}
		network, addr = head[:open], head[open+1:len(head)-1]
	} else if head != "" {
		network = head
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		switch {
		case addr == "":
			addr = "127.0.0.1:3306"
		case !hasPort(addr):
			addr = net.JoinHostPort(strings.Trim(addr, "[]"), "3306")
		}
	case "unix":
		if addr == "" {
			addr = "/tmp/mysql.sock"
		}
		if !strings.Contains(addr, "/") {
			return mysqlEndpoint{}, fmt.Errorf("RDS DSN: unix socket %q must be a path with a /", addr)
		}
	default:
		return mysqlEndpoint{}, fmt.Errorf("RDS DSN: network %q is not tcp or unix", network)
	}
	ep.Addr = addr
	return ep, nil
}

func hasPort(addr string) bool {
	_, _, err := net.SplitHostPort(addr)
	return err == nil
}
