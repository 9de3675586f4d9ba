package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// s3Store keeps the backup in a bucket of an S3-compatible service; object
// keys mirror the local layout under the prefix of backup.root. A PUT is
// atomic, so there are no temporary objects. Every error is retriable: the
// service is remote.
type s3Store struct {
	c      *minio.Client
	bucket string
	prefix string // "" or ends with "/"
}

func newS3Store(ctx context.Context, s *settings) (*s3Store, error) {
	c, err := minio.New(s.S3Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.S3AccessKey, s.S3SecretKey.Value(), ""),
		Secure: s.S3UseSSL,
		Region: s.S3Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	ok, err := c.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, sdk.Retriable(fmt.Errorf("s3 bucket %s: %w", s.bucket, err))
	}
	if !ok {
		return nil, fmt.Errorf("s3 bucket %s does not exist", s.bucket)
	}
	st := &s3Store{c: c, bucket: s.bucket}
	if s.prefix != "" {
		st.prefix = s.prefix + "/"
	}
	return st, nil
}

func (s *s3Store) String() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *s3Store) leavesTemps() bool { return false }

func (s *s3Store) key(p string) string { return s.prefix + p }

func (s *s3Store) list(ctx context.Context, dir string) ([]entry, error) {
	prefix := s.key(dir) + "/"
	var out []entry
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if obj.Err != nil {
			return nil, sdk.Retriable(fmt.Errorf("s3 list %s: %w", prefix, obj.Err))
		}
		name := strings.TrimPrefix(obj.Key, prefix)
		if name == "" || strings.HasSuffix(name, "/") {
			continue // a "directory" (common prefix)
		}
		out = append(out, entry{name: name, modTime: obj.LastModified})
	}
	return out, nil
}

func (s *s3Store) listTree(ctx context.Context, dir string) ([]string, error) {
	prefix := s.key(dir) + "/"
	var out []string
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, sdk.Retriable(fmt.Errorf("s3 list %s: %w", prefix, obj.Err))
		}
		if name := strings.TrimPrefix(obj.Key, prefix); name != "" && !strings.HasSuffix(name, "/") {
			out = append(out, name)
		}
	}
	return out, nil
}

// put encodes the file in memory (files are bounded by flush.size) and
// uploads it in one PUT.
func (s *s3Store) put(ctx context.Context, p string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	contentType := "application/vnd.apache.parquet"
	if !strings.HasSuffix(p, partSuffix) {
		contentType = "application/json"
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.key(p), bytes.NewReader(buf.Bytes()), int64(buf.Len()),
		minio.PutObjectOptions{ContentType: contentType, DisableMultipart: true})
	if err != nil {
		return sdk.Retriable(fmt.Errorf("s3 put %s: %w", s.key(p), err))
	}
	return nil
}

func (s *s3Store) remove(ctx context.Context, p string) error {
	if err := s.c.RemoveObject(ctx, s.bucket, s.key(p), minio.RemoveObjectOptions{}); err != nil {
		return sdk.Retriable(fmt.Errorf("s3 remove %s: %w", s.key(p), err))
	}
	return nil
}
