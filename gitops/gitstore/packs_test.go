package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// packIndex answers every question of the index as go-git's MemoryIndex
// of the same .idx bytes does, with 4-byte offsets only (the radix sort)
// and with offsets past 2 GiB (8-byte offsets, the comparison sort).
func TestPackIndexMatchesGoGit(t *testing.T) {
	for _, large := range []bool{false, true} {
		t.Run(fmt.Sprintf("large=%v", large), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			w := new(idxfile.Writer)
			seen := map[uint64]bool{}
			for range 3000 {
				var h plumbing.Hash
				for i := range h {
					h[i] = byte(rng.UintN(256))
				}
				off := uint64(12 + rng.UintN(1<<24))
				if large && rng.UintN(4) == 0 {
					off += 1 << 32
				}
				if seen[off] {
					continue
				}
				seen[off] = true
				w.Add(h, off, rng.Uint32())
			}
			if err := w.OnFooter(plumbing.ZeroHash); err != nil {
				t.Fatal(err)
			}
			want, err := w.Index()
			if err != nil {
				t.Fatal(err)
			}
			var data bytes.Buffer
			if _, err := idxfile.NewEncoder(&data).Encode(want); err != nil {
				t.Fatal(err)
			}
			got, err := parsePackIndex(data.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if large != (len(got.off64) > 0) {
				t.Fatalf("%d bytes of 8-byte offsets, want them only when large", len(got.off64))
			}
			n, _ := want.Count()
			if c, _ := got.Count(); c != n {
				t.Fatalf("Count = %d, want %d", c, n)
			}
			all := func(idx idxfile.Index, byOffset bool) []idxfile.Entry {
				it, err := idx.Entries()
				if byOffset {
					it, err = idx.EntriesByOffset()
				}
				if err != nil {
					t.Fatal(err)
				}
				var out []idxfile.Entry
				for {
					e, err := it.Next()
					if err == io.EOF {
						return out
					}
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, *e)
				}
			}
			for _, byOffset := range []bool{false, true} {
				w, g := all(want, byOffset), all(got, byOffset)
				if fmt.Sprint(w) != fmt.Sprint(g) {
					t.Fatalf("entries (by offset: %v) differ", byOffset)
				}
				if byOffset {
					for k := 1; k < len(g); k++ {
						if g[k-1].Offset >= g[k].Offset {
							t.Fatalf("entry %d is not in offset order", k)
						}
					}
				}
			}
			for _, e := range all(want, false) {
				if off, err := got.FindOffset(e.Hash); err != nil || uint64(off) != e.Offset {
					t.Errorf("FindOffset(%s) = %d, %v, want %d", e.Hash, off, err, e.Offset)
				}
				if crc, err := got.FindCRC32(e.Hash); err != nil || crc != e.CRC32 {
					t.Errorf("FindCRC32(%s) = %d, %v, want %d", e.Hash, crc, err, e.CRC32)
				}
				if h, err := got.FindHash(int64(e.Offset)); err != nil || h != e.Hash {
					t.Errorf("FindHash(%d) = %s, %v, want %s", e.Offset, h, err, e.Hash)
				}
				if ok, _ := got.Contains(e.Hash); !ok {
					t.Errorf("Contains(%s) = false", e.Hash)
				}
			}
			missing := plumbing.NewHash(strings.Repeat("ab", 20))
			if _, err := got.FindOffset(missing); !errors.Is(err, plumbing.ErrObjectNotFound) {
				t.Errorf("FindOffset of a missing hash: %v", err)
			}
			if _, err := got.FindHash(5); !errors.Is(err, plumbing.ErrObjectNotFound) {
				t.Errorf("FindHash of no object's offset: %v", err)
			}
		})
	}
	if _, err := parsePackIndex([]byte("\377tOc\000\000\000\001")); !errors.Is(err, errPackIndex) {
		t.Errorf("a version 1 index: %v, want refused", err)
	}
}

// Every object of a repository git packed with deltas (offset deltas, a
// chain of them) and loose objects next to it read through Store as
// go-git's own storage reads them: type, size, content.
func TestPackedObjectsReadAsGoGitReadsThem(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	gitCLI(t, dir, "init", "-q", "-b", "main")
	var doc strings.Builder
	for i := range 30 {
		fmt.Fprintf(&doc, "line %d of a file that changes a little each commit\n", i)
		if err := os.WriteFile(filepath.Join(dir, "doc.txt"), []byte(doc.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		gitCLI(t, dir, "add", "-A")
		gitCLI(t, dir, "commit", "-q", "-m", fmt.Sprintf("edit %d", i))
	}
	gitCLI(t, dir, "repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=50")
	if !strings.Contains(gitCLI(t, dir, "verify-pack", "-v", packIdx(t, dir)), "chain length = 2") {
		t.Fatal("git made no delta chains; the test needs them")
	}
	if err := os.WriteFile(filepath.Join(dir, "loose.txt"), []byte("written after the pack\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "commit", "-q", "-m", "loose")

	ref, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ls := r.s.(*lockedStorer)
	if len(ls.packs.load()) != 1 {
		t.Fatalf("%d packs read, want 1", len(ls.packs.load()))
	}
	hashes := strings.Fields(gitCLI(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"))
	if len(hashes) < 90 {
		t.Fatalf("only %d objects", len(hashes))
	}
	packed := 0
	for _, hex := range hashes {
		h := plumbing.NewHash(hex)
		if ls.packs.has(h) {
			packed++
		}
		want, err := ref.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ls.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if got.Type() != want.Type() || got.Size() != want.Size() || content(t, got) != content(t, want) {
			t.Errorf("%s: %s of %d bytes, want %s of %d", h, got.Type(), got.Size(), want.Type(), want.Size())
		}
		if got.Hash() != h {
			t.Errorf("%s reads back as %s", h, got.Hash())
		}
		if sz, err := ls.EncodedObjectSize(h); err != nil || sz != want.Size() {
			t.Errorf("EncodedObjectSize(%s) = %d, %v, want %d", h, sz, err, want.Size())
		}
		if err := ls.HasEncodedObject(h); err != nil {
			t.Errorf("HasEncodedObject(%s): %v", h, err)
		}
		other := plumbing.BlobObject
		if want.Type() == plumbing.BlobObject {
			other = plumbing.TreeObject
		}
		if _, err := ls.EncodedObject(other, h); !errors.Is(err, plumbing.ErrObjectNotFound) {
			t.Errorf("%s read as a %s: %v, want not found", h, other, err)
		}
	}
	if packed == 0 || packed == len(hashes) {
		t.Fatalf("%d of %d objects packed, want some packed and some loose", packed, len(hashes))
	}
	missing := plumbing.NewHash(strings.Repeat("ab", 20))
	if _, err := ls.EncodedObject(plumbing.AnyObject, missing); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("a missing object: %v", err)
	}
	if err := ls.HasEncodedObject(missing); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("HasEncodedObject of a missing object: %v", err)
	}
}

func packIdx(t *testing.T, dir string) string {
	t.Helper()
	idx, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if err != nil || len(idx) != 1 {
		t.Fatalf("pack indexes %v, %v; want one", idx, err)
	}
	return idx[0]
}

func content(t *testing.T, o plumbing.EncodedObject) string {
	t.Helper()
	r, err := o.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
