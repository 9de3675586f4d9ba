package join

import "strings"

// withCredentials sets the user and password on a connection string over
// what it holds, as the sinks' connection.user and connection.password
// do: a URL gets them as query parameters and a key=value string as pairs
// at its end, which pgx (like libpq) reads after, and so over, the URL's
// user info and earlier pairs.
func withCredentials(conn, user, password string) string {
	if user == "" && password == "" {
		return conn
	}
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		var params []string
		if user != "" {
			params = append(params, "user="+percentEncode(user))
		}
		if password != "" {
			params = append(params, "password="+percentEncode(password))
		}
		sep := "?"
		if strings.Contains(conn, "?") {
			sep = "&"
		}
		return conn + sep + strings.Join(params, "&")
	}
	quote := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	if user != "" {
		conn += " user='" + quote.Replace(user) + "'"
	}
	if password != "" {
		conn += " password='" + quote.Replace(password) + "'"
	}
	return conn
}

// percentEncode escapes every byte but the unreserved ones of RFC 3986; a
// + stays a plus, which libpq's URI decoding does not read as a space.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
