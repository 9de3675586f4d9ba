//go:build integration

package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// esURL returns the cluster of the integration tests: ES_URL, with
// ES_USERNAME and ES_PASSWORD for basic authentication.
func esURL(t *testing.T) (url, user, password string) {
	url = os.Getenv("ES_URL")
	if url == "" {
		t.Skip("ES_URL is not set")
	}
	return url, os.Getenv("ES_USERNAME"), os.Getenv("ES_PASSWORD")
}

// TestIntegration runs the end-to-end test against a real cluster.
func TestIntegration(t *testing.T) {
	url, user, password := esURL(t)
	endToEnd(t, url, user, password)
}

// TestIntegrationRejection: a document that does not fit the mapping a
// real cluster derived from the first one is a RecordError; the rest of
// the bulk is stored.
func TestIntegrationRejection(t *testing.T) {
	url, user, password := esURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	index := fmt.Sprintf("tributary-it-%d", time.Now().UnixNano())
	s := &Sink{}
	if err := s.Open(ctx, sdk.Config{"connection.url": url, "connection.username": user, "connection.password": password,
		"index": index, "key.fields": "id"}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The first write maps n as long.
	if n, err := s.Write(ctx, []sdk.Record{{Topic: "t", Value: []byte(`{"id":1,"n":1}`)}}); n != 1 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	n, err := s.Write(ctx, []sdk.Record{
		{Topic: "t", Offset: 1, Value: []byte(`{"id":2,"n":2}`)},
		{Topic: "t", Offset: 2, Value: []byte(`{"id":3,"n":"not a number"}`)},
		{Topic: "t", Offset: 3, Value: []byte(`{"id":4,"n":4}`)},
	})
	var re *sdk.RecordError
	if n != 1 || !errors.As(err, &re) || re.Index != 1 || !strings.Contains(err.Error(), "parsing_exception") {
		t.Fatalf("Write = %d, %v; want 1 and a RecordError at 1", n, err)
	}
}
