package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config locates a bucket in S3 or an S3-compatible store.
type S3Config struct {
	Bucket   string
	Prefix   string // key prefix, e.g. "vigil/"
	Region   string
	Endpoint string // for S3-compatible stores (MinIO, Ceph, moto); empty for AWS
	// Credentials come from the standard AWS sources (environment, shared
	// files, instance roles); never from Vigil's flags.
}

// S3Store keeps blobs as objects in a bucket. A PUT is durable when it
// returns, so Sync has nothing to do; the object appears whole or not at all.
type S3Store struct {
	c      *s3.Client
	bucket string
	prefix string
}

// NewS3Store connects to a bucket and checks that it can be reached.
func NewS3Store(ctx context.Context, cfg S3Config) (*S3Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("S3 blob store needs a bucket")
	}
	opts := []func(*awsconfig.LoadOptions) error{}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("S3 configuration: %w", err)
	}
	c := s3.NewFromConfig(ac, func(o *s3.Options) {
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	})
	s := &S3Store{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		return nil, fmt.Errorf("cannot reach S3 bucket %s: %s", cfg.Bucket, awsReason(err))
	}
	return s, nil
}

func awsReason(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// Where describes the store.
func (s *S3Store) Where() string { return "S3 bucket " + s.bucket + "/" + s.prefix }

func (s *S3Store) key(name string) string { return s.prefix + name[:2] + "/" + name }

// Put uploads the staged file and removes it.
func (s *S3Store) Put(ctx context.Context, name, path string) error {
	if err := checkName(name); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name)), Body: f,
		ContentLength: aws.Int64(st.Size()), ContentType: aws.String("application/octet-stream")}); err != nil {
		return fmt.Errorf("put %s: %s", name, awsReason(err))
	}
	return os.Remove(path)
}

// Get opens a blob.
func (s *S3Store) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name))})
	if err != nil {
		var nf *types.NoSuchKey
		if errors.As(err, &nf) {
			return nil, fs.ErrNotExist
		}
		return nil, fmt.Errorf("get %s: %s", name, awsReason(err))
	}
	return out.Body, nil
}

// Exists reports whether a blob is stored.
func (s *S3Store) Exists(ctx context.Context, name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	_, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name))})
	if err == nil {
		return true, nil
	}
	var nf *types.NotFound
	var ae smithy.APIError
	if errors.As(err, &nf) || errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey") {
		return false, nil
	}
	return false, fmt.Errorf("head %s: %s", name, awsReason(err))
}

// Delete removes a blob.
func (s *S3Store) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name))})
	if err != nil {
		return fmt.Errorf("delete %s: %s", name, awsReason(err))
	}
	return nil
}

// List walks the stored blobs.
func (s *S3Store) List(ctx context.Context, fn func(name string, mod time.Time) error) error {
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %s", s.bucket, awsReason(err))
		}
		for _, o := range page.Contents {
			name := aws.ToString(o.Key)
			name = name[strings.LastIndex(name, "/")+1:]
			if !blobName.MatchString(name) {
				continue
			}
			if err := fn(name, aws.ToTime(o.LastModified)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sync is a no-op: S3 acknowledges a PUT only once it is durable.
func (s *S3Store) Sync(context.Context) error { return nil }
