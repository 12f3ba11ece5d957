//go:build unix

package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A ref lock file does not say who made it, so a lock that a killed ferry
// left would stop every later run until it is StaleLock old. Each ferry
// process therefore keeps, in the git directory's ferry/locks folder, an
// owner file that it holds an flock on for as long as it lives, and
// records in it every ref lock it creates (path, inode, modification
// time). The kernel drops the flock when the process dies, however it
// dies: an owner file that can be flocked belongs to a dead process, and
// a lock file it records, still the same file, is that process's and is
// removed at once. A lock no dead ferry records (git's, or one a ferry was
// killed between creating and recording) keeps the StaleLock rule.

var (
	ownersMu sync.Mutex
	owners   = map[string]*os.File{} // by git directory: this process's owner file
)

// owner returns this process's owner file for gitDir, made and flocked
// on first use; nil when it cannot be.
func owner(gitDir string) *os.File {
	ownersMu.Lock()
	defer ownersMu.Unlock()
	if f := owners[gitDir]; f != nil {
		return f
	}
	dir := filepath.Join(gitDir, "ferry", "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil
	}
	name := filepath.Join(dir, fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		f.Close()
		return nil
	}
	owners[gitDir] = f
	return f
}

// intend notes, before this process creates the lock file lock (a path
// under gitDir), that it is about to: killed before it records the file
// itself, the lock is still known to be its if it is empty and no older.
func intend(gitDir, lock string) {
	if f := owner(gitDir); f != nil {
		fmt.Fprintf(f, "I %s %d\n", lock, time.Now().UnixNano())
	}
}

// record notes that this process created the lock file lock.
func record(gitDir, lock string) {
	f := owner(gitDir)
	if f == nil {
		return
	}
	if st, ok := statLock(filepath.Join(gitDir, lock)); ok {
		fmt.Fprintf(f, "C %s %d %d\n", lock, st.ino, st.mtime)
	}
}

// lockStat is what the lock recovery compares of a lock file.
type lockStat struct {
	ino         uint64
	mtime, size int64 // mtime in nanoseconds
}

// statLock stats p; syscall.Stat_t names the modification time
// differently on Linux (Mtim) and on macOS (Mtimespec), so the time comes
// from os.FileInfo.
func statLock(p string) (lockStat, bool) {
	fi, err := os.Stat(p)
	if err != nil {
		return lockStat{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return lockStat{}, false
	}
	return lockStat{ino: uint64(st.Ino), mtime: fi.ModTime().UnixNano(), size: fi.Size()}, true
}

// recoverDead removes the lock files that dead ferry processes recorded
// and left, and their owner files.
func recoverDead(gitDir string) {
	dir := filepath.Join(gitDir, "ferry", "locks")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	ownersMu.Lock()
	mine := owners[gitDir]
	ownersMu.Unlock()
	for _, e := range ents {
		name := filepath.Join(dir, e.Name())
		if mine != nil && mine.Name() == name {
			continue
		}
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // its process is alive
			continue
		}
		data, _ := os.ReadFile(name)
		for _, line := range strings.Split(string(data), "\n") {
			removeIfLeft(gitDir, strings.Fields(line))
		}
		os.Remove(name)
		f.Close()
	}
}

// removeIfLeft removes the lock file an owner file's line (fields) names
// when it is still the one the dead owner made: the same file (inode) no
// older than when it was made, or, for an intent only, empty and no older
// than the intent.
func removeIfLeft(gitDir string, fields []string) {
	if len(fields) < 3 || strings.Contains(fields[1], "..") || !strings.HasSuffix(fields[1], ".lock") {
		return
	}
	p := filepath.Join(gitDir, fields[1])
	st, ok := statLock(p)
	if !ok {
		return
	}
	switch {
	case fields[0] == "I" && len(fields) == 3:
		at, err := strconv.ParseInt(fields[2], 10, 64)
		// File times come from the kernel's coarse clock, which may be a
		// tick behind the one the intent was dated by.
		if err == nil && st.size == 0 && st.mtime >= at-int64(time.Second) {
			os.Remove(p)
		}
	case fields[0] == "C" && len(fields) == 4:
		ino, err1 := strconv.ParseUint(fields[2], 10, 64)
		at, err2 := strconv.ParseInt(fields[3], 10, 64)
		if err1 == nil && err2 == nil && st.ino == ino && st.mtime >= at {
			os.Remove(p)
		}
	}
}
