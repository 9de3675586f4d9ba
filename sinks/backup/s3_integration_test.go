//go:build integration

package backup

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestS3Integration runs the crash-and-replay scenario against a real
// S3-compatible service:
//
//	S3_ENDPOINT=127.0.0.1:9000 S3_ACCESS_KEY=… S3_SECRET_KEY=… [S3_BUCKET=tributary-test] [S3_USE_SSL=true] \
//	  go test -tags integration -run TestS3Integration ./sinks/backup/
//
// It writes under a fresh prefix of the bucket (created when missing) and
// removes what it wrote.
func TestS3Integration(t *testing.T) {
	endpoint := os.Getenv("S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("S3_ENDPOINT is not set")
	}
	bucket := os.Getenv("S3_BUCKET")
	if bucket == "" {
		bucket = "tributary-test"
	}
	useSSL := os.Getenv("S3_USE_SSL") == "true"
	c, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(os.Getenv("S3_ACCESS_KEY"), os.Getenv("S3_SECRET_KEY"), ""),
		Secure: useSSL, Region: "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.BucketExists(ctx, bucket); err != nil {
		t.Fatal(err)
	} else if !ok {
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	prefix := fmt.Sprintf("backup-test-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix + "/", Recursive: true}) {
			if obj.Err == nil {
				c.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{})
			}
		}
	})
	cfg := s3Config(endpoint, "s3://"+bucket+"/"+prefix, useSSL,
		"s3.access.key", os.Getenv("S3_ACCESS_KEY"), "s3.secret.key", os.Getenv("S3_SECRET_KEY"))
	const n = 200
	recs := stream(n)
	first := openSink(t, cfg, nil)
	deliver(t, first, recs[:150])
	flush(t, first)
	deliver(t, first, recs[150:260])
	second := openSink(t, cfg, nil)
	deliver(t, second, recs)
	flush(t, second)
	local := download(t, c, bucket, prefix+"/")
	checkExactlyOnce(t, openDuck(t), local, n)
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix + "/", Recursive: true}) {
		if strings.Contains(obj.Key, "/.") {
			t.Fatalf("temporary object %s", obj.Key)
		}
	}
}
