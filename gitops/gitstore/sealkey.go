package gitstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/storage/filesystem"
)

// SealKey returns the repository's own key for ferry's commit seals,
// kept in its git directory (ferry/seal.key, mode 0600) and made on first
// use: for the local forge, where ferry and the repository share the
// machine. A repository in memory has none: ErrNoSealKey.
func (r *Store) SealKey() ([]byte, error) {
	dir := r.gitDir()
	if dir == "" {
		return nil, ErrNoSealKey
	}
	name := filepath.Join(dir, "ferry", "seal.key")
	if data, err := os.ReadFile(name); err == nil {
		return decodeKey(name, data)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		data, err := os.ReadFile(name) // another process made it first
		if err != nil {
			return nil, err
		}
		return decodeKey(name, data)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// ErrNoSealKey: the repository has no directory to keep a seal key in.
var ErrNoSealKey = errors.New("gitstore: the repository has no git directory for a seal key")

func decodeKey(name string, data []byte) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%s: not a seal key (hex, 16 bytes or more)", name)
	}
	return key, nil
}

// gitDir is the repository's git directory on disk, or "".
func (r *Store) gitDir() string {
	if fst, ok := r.repo.Storer.(*filesystem.Storage); ok {
		return fst.Filesystem().Root()
	}
	if ls, ok := r.s.(*lockedStorer); ok {
		if fst, ok := ls.Storer.(*filesystem.Storage); ok {
			return fst.Filesystem().Root()
		}
	}
	return ""
}
