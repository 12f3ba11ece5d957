package gitstore

import (
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// zlibs are deflaters at best speed; each holds about a megabyte of state.
var zlibs = sync.Pool{New: func() any {
	z, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level: no error
	return z
}}

// writeLoose stores o in the objects directory dir as a loose object, the
// way git does: "<type> <size>\x00" and the content, deflated at zlib's
// best speed (git's core.looseCompression is 1 by default; go-git deflates
// at 6, and deflating the trees of a repo with a thousand workloads at 6
// was half the time of a commit), written read-only to a temporary file
// in the object's directory and renamed into place. An object already
// there is left as it is.
func writeLoose(dir string, o plumbing.EncodedObject) (h plumbing.Hash, err error) {
	if t := o.Type(); t != plumbing.BlobObject && t != plumbing.TreeObject && t != plumbing.CommitObject && t != plumbing.TagObject {
		return plumbing.ZeroHash, plumbing.ErrInvalidType
	}
	h = o.Hash()
	hex := h.String()
	sub := filepath.Join(dir, hex[:2])
	path := filepath.Join(sub, hex[2:])
	if _, err := os.Stat(path); err == nil {
		return h, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return h, err
	}
	r, err := o.Reader()
	if err != nil {
		return h, err
	}
	defer r.Close()
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return h, err
	}
	tmp, err := os.CreateTemp(sub, "tmp_obj_")
	if err != nil {
		return h, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	z := zlibs.Get().(*zlib.Writer)
	defer zlibs.Put(z)
	z.Reset(tmp)
	if _, err = fmt.Fprintf(z, "%s %d\x00", o.Type(), o.Size()); err != nil {
		return h, err
	}
	if _, err = io.Copy(z, r); err != nil {
		return h, err
	}
	if err = z.Close(); err != nil {
		return h, err
	}
	if err = tmp.Chmod(0o444); err != nil {
		return h, err
	}
	if err = tmp.Close(); err != nil {
		return h, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return h, err
	}
	return h, nil
}
