package backup

import (
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func s3Config(endpoint, root string, useSSL bool, kv ...string) sdk.Config {
	cfg := replayConfig(root)
	cfg["s3.endpoint"] = endpoint
	cfg["s3.access.key"] = "tributary"
	cfg["s3.secret.key"] = "secret"
	cfg["s3.use.ssl"] = "false"
	if useSSL {
		cfg["s3.use.ssl"] = "true"
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// download copies every object under prefix of bucket into a local
// directory, through minio-go's GetObject, and returns that directory.
func download(t *testing.T, c *minio.Client, bucket, prefix string) string {
	t.Helper()
	dir := t.TempDir()
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		o, err := c.GetObject(ctx, bucket, obj.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(o)
		o.Close()
		if err != nil {
			t.Fatalf("get %s: %v", obj.Key, err)
		}
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(obj.Key, prefix)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestS3CrashAndReplay runs the crash-and-replay scenario against the S3
// fake: objects under the prefix, covered ranges learned by listing (in
// pages of 5 keys), a failed PUT retried, markers, and every row read back
// with DuckDB exactly once.
func TestS3CrashAndReplay(t *testing.T) {
	fake := newFakeS3(t, "backup")
	fake.pageSize = 5
	const n = 200
	recs := stream(n)
	cfg := s3Config(fake.endpoint(), "s3://backup/warehouse/ods", false, "success.marker.enabled", "true", "success.marker.delay.ms", "0")

	first := openSink(t, cfg, nil)
	deliver(t, first, recs[:150])
	flush(t, first)
	deliver(t, first, recs[150:260]) // some cut into files by flush.size, then a crash

	clk := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	second := openSink(t, cfg, clk)
	deliver(t, second, recs[:100])
	fake.fail(1, http.StatusServiceUnavailable)
	flush(t, second)                  // minio-go retries a 503 itself
	deliver(t, second, recs[100:300]) // beyond what the first run wrote
	fake.fail(1, http.StatusForbidden)
	err := second.Flush(ctx)
	if err == nil || !sdk.IsRetriable(err) {
		t.Fatalf("Flush with a failing PUT: %v, want a retriable error", err)
	}
	flush(t, second) // the runtime's retry
	// No marker within success.idle.timeout.ms of the start: a partition
	// may not have delivered its first record yet.
	clk.advance(time.Minute)
	deliver(t, second, recs[300:])
	flush(t, second)
	if second.stats.replayed == 0 {
		t.Fatal("the replay skipped nothing")
	}

	keys := fake.keys("backup")
	markers := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, "warehouse/ods/ods_events/ds=20240501/hh=") {
			t.Fatalf("object %s outside the layout", k)
		}
		switch base := path.Base(k); {
		case base == successName:
			markers++
		case strings.HasPrefix(base, "."):
			t.Fatalf("temporary object %s", k)
		}
	}
	// Event times reach 11:59, so hours 09 and 10 are complete.
	if markers != 2 {
		t.Fatalf("%d markers, want 2: %v", markers, keys)
	}
	if fake.pages == 0 {
		t.Fatal("no listing needed a second page")
	}

	c, err := minio.New(fake.endpoint(), &minio.Options{Creds: credentials.NewStaticV4("tributary", "secret", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	local := download(t, c, "backup", "warehouse/ods/")
	checkExactlyOnce(t, openDuck(t), local, n)
}

func TestS3MissingBucket(t *testing.T) {
	fake := newFakeS3(t, "backup")
	s := &Sink{}
	err := s.Open(ctx, s3Config(fake.endpoint(), "s3://nope/x", false))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open on a missing bucket: %v", err)
	}
}
