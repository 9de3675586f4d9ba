package rds

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// endpoint is where and as whom the sink connects.
type endpoint struct {
	Network  string // tcp or unix
	Addr     string // host:port, or the socket's path
	User     string
	Password string
	DB       string
	// TLS is "" (plain), "true" (verified) or "skip-verify".
	TLS string
}

const defaultPort = "3306"

// parseURL reads connection.url in one of three forms: a go-sql-driver DSN
// ([user[:password]@][tcp(host:port)|unix(path)]/db[?params]), as the
// warehouse's RDS_URL is written; mysql://user:pass@host:port/db; or JDBC's
// jdbc:mysql://host:port/db?user=..&password=.. (jdbc:mariadb too).
func parseURL(s string) (endpoint, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return endpoint{}, errors.New("empty connection.url")
	case strings.HasPrefix(s, "jdbc:"):
		return parseURLForm(strings.TrimPrefix(s, "jdbc:"))
	case strings.HasPrefix(s, "mysql://"), strings.HasPrefix(s, "mariadb://"):
		return parseURLForm(s)
	}
	return parseDSN(s)
}

// parseDSN reads the go-sql-driver form. As that driver does, it splits at
// the last '/' and then the last '@' before it, so a password may hold both.
func parseDSN(s string) (endpoint, error) {
	slash := strings.LastIndexByte(s, '/')
	if slash < 0 {
		return endpoint{}, errors.New("connection.url: a DSN needs /database, as in user:pass@tcp(host:3306)/db")
	}
	var ep endpoint
	head, tail := s[:slash], s[slash+1:]
	db, query, _ := strings.Cut(tail, "?")
	ep.DB = db
	if at := strings.LastIndexByte(head, '@'); at >= 0 {
		ep.User, ep.Password, _ = strings.Cut(head[:at], ":")
		head = head[at+1:]
	}
	switch {
	case head == "":
		ep.Network, ep.Addr = "tcp", net.JoinHostPort("127.0.0.1", defaultPort)
	case strings.HasSuffix(head, ")"):
		open := strings.IndexByte(head, '(')
		if open < 0 {
			return endpoint{}, fmt.Errorf("connection.url: address %q lacks '('", head)
		}
		ep.Network, ep.Addr = head[:open], head[open+1:len(head)-1]
	default:
		ep.Network = head
	}
	switch ep.Network {
	case "tcp", "tcp4", "tcp6":
		ep.Network = "tcp"
		if ep.Addr == "" {
			ep.Addr = net.JoinHostPort("127.0.0.1", defaultPort)
		} else if _, _, err := net.SplitHostPort(ep.Addr); err != nil {
			ep.Addr = net.JoinHostPort(strings.Trim(ep.Addr, "[]"), defaultPort)
		}
	case "unix":
		if ep.Addr == "" {
			ep.Addr = "/tmp/mysql.sock"
		}
	default:
		return endpoint{}, fmt.Errorf("connection.url: network %q is not tcp or unix", ep.Network)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return endpoint{}, fmt.Errorf("connection.url: parameters: %w", err)
	}
	if err := ep.applyParams(params); err != nil {
		return endpoint{}, err
	}
	return ep, nil
}

// parseURLForm reads mysql://, mariadb:// and (without jdbc:) JDBC URLs.
func parseURLForm(s string) (endpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the URL, password included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return endpoint{}, fmt.Errorf("connection.url: %w", err)
	}
	if u.Scheme != "mysql" && u.Scheme != "mariadb" {
		return endpoint{}, fmt.Errorf("connection.url: scheme %q is not mysql or mariadb", u.Scheme)
	}
	if strings.Contains(u.Host, ",") {
		return endpoint{}, errors.New("connection.url: one host only (a failover list is not supported)")
	}
	ep := endpoint{Network: "tcp", Addr: u.Host, DB: strings.TrimPrefix(u.Path, "/")}
	if ep.Addr == "" {
		ep.Addr = "127.0.0.1"
	}
	if u.Port() == "" {
		ep.Addr = net.JoinHostPort(strings.Trim(u.Host, "[]"), defaultPort)
	}
	if u.User != nil {
		ep.User = u.User.Username()
		ep.Password, _ = u.User.Password()
	}
	if err := ep.applyParams(u.Query()); err != nil {
		return endpoint{}, err
	}
	return ep, nil
}

// applyParams reads the parameters the sink honours; the others (charset,
// parseTime, …) concern drivers the sink does not use and are ignored.
func (ep *endpoint) applyParams(q url.Values) error {
	if v := q.Get("user"); v != "" {
		ep.User = v
	}
	if v := q.Get("password"); v != "" {
		ep.Password = v
	}
	tlsMode := strings.ToLower(q.Get("tls"))
	if ssl := strings.ToLower(q.Get("useSSL")); tlsMode == "" && ssl == "true" {
		tlsMode = "true"
	}
	switch strings.ToLower(q.Get("sslMode")) {
	case "required":
		tlsMode = "skip-verify"
	case "verify_ca", "verify_identity":
		tlsMode = "true"
	}
	switch tlsMode {
	case "", "false":
		ep.TLS = ""
	case "true", "skip-verify":
		ep.TLS = tlsMode
	default:
		return fmt.Errorf("connection.url: tls=%s is not true, skip-verify or false", tlsMode)
	}
	return nil
}
