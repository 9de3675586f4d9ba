package applog

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// keyring holds the API key of every app. Keys are kept as SHA-256 sums, so
// comparing takes the same time whatever the length of the key offered.
type keyring struct {
	apps []string
	sums [][sha256.Size]byte
}

// parseKeys reads app:key pairs, comma-separated; an empty list gives a nil
// keyring, which lets every request in. Errors never quote a key.
func parseKeys(list string) (*keyring, error) {
	var k keyring
	for pair := range strings.SplitSeq(list, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		app, key, ok := strings.Cut(pair, ":")
		if !ok || app == "" || key == "" {
			return nil, fmt.Errorf("api.keys: entry %d is not app:key", len(k.apps)+1)
		}
		sum := sha256.Sum256([]byte(key))
		for i := range k.apps {
			if k.apps[i] == app {
				return nil, fmt.Errorf("api.keys: app %q has two keys", app)
			}
			if k.sums[i] == sum {
				return nil, fmt.Errorf("api.keys: apps %q and %q share a key", k.apps[i], app)
			}
		}
		k.apps = append(k.apps, app)
		k.sums = append(k.sums, sum)
	}
	if len(k.apps) == 0 {
		return nil, nil
	}
	return &k, nil
}

// app returns the app whose key the request carries, in X-API-Key or as an
// Authorization bearer token. With no keyring every request is let in,
// anonymously.
func (k *keyring) app(r *http.Request) (string, bool) {
	if k == nil {
		return "", true
	}
	key := r.Header.Get("X-API-Key")
	if key == "" {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") {
			key = strings.TrimSpace(token)
		}
	}
	if key == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range k.sums { // every key, even after a match
		if subtle.ConstantTimeCompare(sum[:], k.sums[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return k.apps[found], true
}
