package gitstore

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// packs reads the objects of an on-disk repository's packfiles through
// their .idx files, read once and searched in place. go-git's own storage
// decodes every .idx into per-entry slices, checks its checksum, and on the
// first delta whose base it finds by offset maps every object's offset to
// its hash: on a clone with 50,000 commits, about 25 ms before the first
// object, which is what planning the clone's newest tree otherwise costs.
// Here the offsets are sorted once, when a base is first looked up by
// offset, by a radix sort. Objects are decoded by go-git's packfile
// reader, as go-git's storage does.
//
// The packs are listed once. ferry writes objects loose (a fetch too), so
// a pack that appears later came from another process, and go-git's
// storage, the fallback for what is not found here, finds it.
type packs struct {
	fs    billy.Filesystem // the git directory
	cache cache.Object     // delta bases and small objects, shared by the packs

	once sync.Once
	list []*pack
}

type pack struct {
	file string // the .pack, relative to the git directory
	idx  *packIndex
}

func newPacks(fs billy.Filesystem, c cache.Object) *packs {
	return &packs{fs: fs, cache: c}
}

// load lists the packs with a version 2 index. One it cannot read is left
// to go-git's storage.
func (ps *packs) load() []*pack {
	ps.once.Do(func() {
		entries, err := ps.fs.ReadDir("objects/pack")
		if err != nil {
			return
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".idx")
			if !ok || !strings.HasPrefix(name, "pack-") {
				continue
			}
			data, err := readAll(ps.fs, path.Join("objects/pack", e.Name()))
			if err != nil {
				continue
			}
			idx, err := parsePackIndex(data)
			if err != nil {
				continue
			}
			ps.list = append(ps.list, &pack{file: path.Join("objects/pack", name+".pack"), idx: idx})
		}
	})
	return ps.list
}

// readAll reads the file name whole, into a buffer of its size.
func readAll(fs billy.Filesystem, name string) ([]byte, error) {
	fi, err := fs.Stat(name)
	if err != nil {
		return nil, err
	}
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return data, nil
}

// find is the pack holding h and h's offset in it.
func (ps *packs) find(h plumbing.Hash) (*pack, int64, bool) {
	for _, p := range ps.load() {
		if i, ok := p.idx.position(h); ok {
			return p, p.idx.offset(i), true
		}
	}
	return nil, 0, false
}

func (ps *packs) has(h plumbing.Hash) bool {
	_, _, ok := ps.find(h)
	return ok
}

// open is the packfile reader of p, for one read.
func (ps *packs) open(p *pack) (*packfile.Packfile, error) {
	f, err := ps.fs.Open(p.file)
	if err != nil {
		return nil, err
	}
	return packfile.NewPackfileWithCache(p.idx, ps.fs, f, ps.cache, largeObject), nil
}

// get is object h of type t, or plumbing.ErrObjectNotFound when no pack
// holds it (or holds it with another type).
func (ps *packs) get(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	p, _, ok := ps.find(h)
	if !ok {
		return nil, plumbing.ErrObjectNotFound
	}
	if o, ok := ps.cache.Get(h); ok {
		return typed(o, t)
	}
	pf, err := ps.open(p)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	o, err := pf.Get(h)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", h, p.file, err)
	}
	return typed(o, t)
}

// size is the size of object h, as get would read it.
func (ps *packs) size(h plumbing.Hash) (int64, error) {
	p, off, ok := ps.find(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	if o, ok := ps.cache.Get(h); ok {
		return o.Size(), nil
	}
	pf, err := ps.open(p)
	if err != nil {
		return 0, err
	}
	defer pf.Close()
	return pf.GetSizeByOffset(off)
}

func typed(o plumbing.EncodedObject, t plumbing.ObjectType) (plumbing.EncodedObject, error) {
	if t != plumbing.AnyObject && o.Type() != t {
		return nil, plumbing.ErrObjectNotFound
	}
	return o, nil
}

// packIndex is a version 2 pack index (git's gitformat-pack), read in
// place: a fan-out table, the object names sorted, their CRC-32s, their
// offsets in 4 bytes (the high bit set for an index into the 8-byte
// offsets that follow), the pack's and the index's checksums. It is an
// idxfile.Index for go-git's packfile reader.
type packIndex struct {
	n      int
	fanout [256]uint32
	names  []byte // n × 20
	crcs   []byte // n × 4
	off32  []byte // n × 4
	off64  []byte // m × 8

	revOnce sync.Once
	rev     []uint32 // positions, in offset order
}

var _ idxfile.Index = (*packIndex)(nil)

var errPackIndex = errors.New("not a version 2 pack index")

func parsePackIndex(data []byte) (*packIndex, error) {
	const head = 8 + 256*4
	if len(data) < head+2*20 || !bytes.Equal(data[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return nil, errPackIndex
	}
	x := &packIndex{}
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(data[8+4*i:])
		if i > 0 && x.fanout[i] < x.fanout[i-1] {
			return nil, errPackIndex
		}
	}
	x.n = int(x.fanout[255])
	rest := data[head : len(data)-2*20]
	if len(rest) < x.n*28 {
		return nil, errPackIndex
	}
	x.names, rest = rest[:x.n*20], rest[x.n*20:]
	x.crcs, rest = rest[:x.n*4], rest[x.n*4:]
	x.off32, rest = rest[:x.n*4], rest[x.n*4:]
	if len(rest)%8 != 0 {
		return nil, errPackIndex
	}
	x.off64 = rest
	for i := 0; i < x.n; i++ { // every large offset must be there
		if o := binary.BigEndian.Uint32(x.off32[4*i:]); o&(1<<31) != 0 && int(o&^(1<<31)) >= len(x.off64)/8 {
			return nil, errPackIndex
		}
	}
	return x, nil
}

// position is where h is in the index.
func (x *packIndex) position(h plumbing.Hash) (int, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(x.fanout[h[0]-1])
	}
	hi := int(x.fanout[h[0]])
	i := lo + sort.Search(hi-lo, func(i int) bool { return bytes.Compare(x.name(lo+i), h[:]) >= 0 })
	return i, i < hi && bytes.Equal(x.name(i), h[:])
}

func (x *packIndex) name(i int) []byte { return x.names[20*i : 20*i+20] }

func (x *packIndex) hash(i int) (h plumbing.Hash) {
	copy(h[:], x.name(i))
	return h
}

func (x *packIndex) offset(i int) int64 {
	o := binary.BigEndian.Uint32(x.off32[4*i:])
	if o&(1<<31) == 0 {
		return int64(o)
	}
	j := int(o &^ (1 << 31))
	return int64(binary.BigEndian.Uint64(x.off64[8*j:]))
}

func (x *packIndex) Contains(h plumbing.Hash) (bool, error) {
	_, ok := x.position(h)
	return ok, nil
}

func (x *packIndex) FindOffset(h plumbing.Hash) (int64, error) {
	i, ok := x.position(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	return x.offset(i), nil
}

func (x *packIndex) FindCRC32(h plumbing.Hash) (uint32, error) {
	i, ok := x.position(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	return binary.BigEndian.Uint32(x.crcs[4*i:]), nil
}

func (x *packIndex) FindHash(o int64) (plumbing.Hash, error) {
	rev := x.byOffset()
	k := sort.Search(len(rev), func(k int) bool { return x.offset(int(rev[k])) >= o })
	if k == len(rev) || x.offset(int(rev[k])) != o {
		return plumbing.ZeroHash, plumbing.ErrObjectNotFound
	}
	return x.hash(int(rev[k])), nil
}

func (x *packIndex) Count() (int64, error) { return int64(x.n), nil }

func (x *packIndex) Entries() (idxfile.EntryIter, error) {
	return &entryIter{x: x}, nil
}

func (x *packIndex) EntriesByOffset() (idxfile.EntryIter, error) {
	return &entryIter{x: x, order: x.byOffset()}, nil
}

// byOffset is the positions sorted by offset, made on first use. Offsets
// under 4 GiB (every pack without 8-byte offsets) are sorted by a radix
// sort, a byte a pass, of offset and position packed in one word, skipping
// the bytes that are the same in every offset; a larger pack by
// comparison.
func (x *packIndex) byOffset() []uint32 {
	x.revOnce.Do(func() {
		rev := make([]uint32, x.n)
		if len(x.off64) > 0 {
			for i := range rev {
				rev[i] = uint32(i)
			}
			sort.Slice(rev, func(a, b int) bool { return x.offset(int(rev[a])) < x.offset(int(rev[b])) })
			x.rev = rev
			return
		}
		words := make([]uint64, x.n)
		for i := range words {
			words[i] = uint64(binary.BigEndian.Uint32(x.off32[4*i:]))<<32 | uint64(i)
		}
		tmp := make([]uint64, x.n)
		for shift := 32; shift < 64; shift += 8 {
			var count [257]int
			for _, w := range words {
				count[w>>shift&0xff+1]++
			}
			if slices.Contains(count[1:], x.n) {
				continue // every offset has this byte
			}
			for b := 1; b < len(count); b++ {
				count[b] += count[b-1]
			}
			for _, w := range words {
				d := w >> shift & 0xff
				tmp[count[d]] = w
				count[d]++
			}
			words, tmp = tmp, words
		}
		for k, w := range words {
			rev[k] = uint32(w)
		}
		x.rev = rev
	})
	return x.rev
}

// entryIter walks the index in name order, or in order when set.
type entryIter struct {
	x     *packIndex
	order []uint32
	k     int
}

func (it *entryIter) Next() (*idxfile.Entry, error) {
	if it.k >= it.x.n {
		return nil, io.EOF
	}
	i := it.k
	if it.order != nil {
		i = int(it.order[it.k])
	}
	it.k++
	return &idxfile.Entry{Hash: it.x.hash(i), CRC32: binary.BigEndian.Uint32(it.x.crcs[4*i:]), Offset: uint64(it.x.offset(i))}, nil
}

func (it *entryIter) Close() error { it.k = it.x.n; return nil }

// readLoose is the loose object h in the objects directory dir, read
// whole; plumbing.ErrObjectNotFound when there is none, and errLarge for
// one over largeObject, which go-git's storage reads lazily.
func readLoose(dir string, h plumbing.Hash) (plumbing.EncodedObject, error) {
	hex := h.String()
	f, err := os.Open(path.Join(dir, hex[:2], hex[2:]))
	if errors.Is(err, os.ErrNotExist) {
		return nil, plumbing.ErrObjectNotFound
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := zlibReader(f)
	if err != nil {
		return nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer r.Close()
	t, size, err := looseHeader(r)
	if err != nil {
		return nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	if size > largeObject {
		return nil, errLarge
	}
	o := &plumbing.MemoryObject{}
	o.SetType(t)
	o.SetSize(size)
	if _, err := io.CopyN(o, r, size); err != nil {
		return nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	return o, nil
}

var errLarge = errors.New("a large object")

// inflaters are zlib readers, reset for each loose object read.
var inflaters sync.Pool

// zlibReader is a zlib reader of r from inflaters; Close returns it.
func zlibReader(r io.Reader) (io.ReadCloser, error) {
	if z, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := z.(zlib.Resetter).Reset(r, nil); err != nil {
			return nil, err
		}
		return pooled{z}, nil
	}
	z, err := zlib.NewReader(r)
	if err != nil {
		return nil, err
	}
	return pooled{z}, nil
}

type pooled struct{ io.ReadCloser }

func (p pooled) Close() error {
	err := p.ReadCloser.Close()
	inflaters.Put(p.ReadCloser)
	return err
}

// looseHeader reads a loose object's "<type> <size>\x00".
func looseHeader(r io.Reader) (plumbing.ObjectType, int64, error) {
	var head [32]byte
	var b [1]byte
	for n := 0; ; n++ {
		if n == len(head) {
			return 0, 0, errors.New("no header")
		}
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, 0, err
		}
		if b[0] == 0 {
			kind, size, ok := strings.Cut(string(head[:n]), " ")
			t, err := plumbing.ParseObjectType(kind)
			if !ok || err != nil || !t.Valid() {
				return 0, 0, fmt.Errorf("bad header %q", head[:n])
			}
			sz, err := strconv.ParseInt(size, 10, 64)
			if err != nil || sz < 0 {
				return 0, 0, fmt.Errorf("bad header %q", head[:n])
			}
			return t, sz, nil
		}
		head[n] = b[0]
	}
}
