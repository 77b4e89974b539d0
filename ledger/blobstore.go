package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// BlobStore keeps encrypted blobs by name (the hex SHA-256 of the
// plaintext). Put must be atomic: a reader sees the whole object or none.
type BlobStore interface {
	// Put stores the contents of the file at path under name. The file is
	// the caller's: Put may move it away (local disk) or read it (S3).
	Put(ctx context.Context, name, path string) error
	// Get opens a stored blob; fs.ErrNotExist if there is none.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// Exists reports whether a blob is stored.
	Exists(ctx context.Context, name string) (bool, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, name string) error
	// List calls fn for every stored blob with its modification time.
	List(ctx context.Context, fn func(name string, mod time.Time) error) error
	// Sync makes every Put so far durable. Put alone need not be: the
	// ledger calls Sync once per group of appends, before their commit.
	Sync(ctx context.Context) error
	// Where describes the store for messages.
	Where() string
}

// Object names are a blob's hex SHA-256 address, optionally followed by a
// dot and 16 hex digits that tell copies of the same bytes apart.
var blobName = regexp.MustCompile(`^[0-9a-f]{64}(\.[0-9a-f]{16})?$`)

func checkName(name string) error {
	if !blobName.MatchString(name) {
		return fmt.Errorf("ledger: %q is not a blob address", name)
	}
	return nil
}

// FSStore keeps blobs in a local directory, sharded by the first two bytes
// of their name. Writes go through a temporary file, fsync and rename, so a
// crash leaves either nothing or the whole blob.
type FSStore struct {
	root string
	dirs sync.Map // shard directories known to exist
}

// NewFSStore opens (creating) a blob directory.
func NewFSStore(root string) (*FSStore, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create blob directory %s: %w", root, err)
	}
	return &FSStore{root: root}, nil
}

// TempDir is where callers stage blobs before Put, on the same file system
// so that Put is a rename.
func (s *FSStore) TempDir() string { return filepath.Join(s.root, "tmp") }

// ClearStaging removes half-written uploads, which only a crash leaves;
// call it only when no upload can be in progress.
func (s *FSStore) ClearStaging() error {
	entries, err := os.ReadDir(s.TempDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(s.TempDir(), e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Where describes the store.
func (s *FSStore) Where() string { return "directory " + s.root }

func (s *FSStore) path(name string) string {
	return filepath.Join(s.root, name[:2], name[2:4], name)
}

// Put moves the file at path into place. The rename is atomic; Sync makes
// it durable.
func (s *FSStore) Put(ctx context.Context, name, path string) error {
	if err := checkName(name); err != nil {
		return err
	}
	dst := s.path(name)
	dir := filepath.Dir(dst)
	if _, ok := s.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		s.dirs.Store(dir, true)
	}
	return os.Rename(path, dst)
}

// Sync flushes the whole file system the blobs live on with one syncfs(2):
// the files and the directory entries of every Put so far, in one call
// rather than two fsyncs per blob.
func (s *FSStore) Sync(ctx context.Context) error {
	d, err := os.Open(s.root)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}

// Get opens a blob.
func (s *FSStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return os.Open(s.path(name))
}

// Exists reports whether a blob is stored.
func (s *FSStore) Exists(ctx context.Context, name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	_, err := os.Stat(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Delete removes a blob.
func (s *FSStore) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// List walks the stored blobs (not the staging area).
func (s *FSStore) List(ctx context.Context, fn func(name string, mod time.Time) error) error {
	return filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == s.TempDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !blobName.MatchString(name) || !strings.HasPrefix(name, filepath.Base(filepath.Dir(filepath.Dir(p)))) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fn(name, info.ModTime())
	})
}
