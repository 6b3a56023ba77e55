//go:build unix

package drplan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockPoll is how often a waiting updater retries the lock.
const lockPoll = 50 * time.Millisecond

// lockPlan takes an exclusive flock on ".<name>.lock" beside the plan,
// waiting at most timeout. The holder removes the lock file when it is
// done, so no stray file stays beside the plan; a waiter that then wins the
// lock on the removed file sees that the path no longer names it and
// tries again on the new one. The lock dies with the process.
func lockPlan(ctx context.Context, name, real string, timeout time.Duration) (unlock func(), err error) {
	dir, base := filepath.Split(real)
	lockPath := filepath.Join(dir, "."+base+".lock")
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(lockPoll)
	defer tick.Stop()
	for {
		f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock plan %s: %w", name, err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			if held(f, lockPath) {
				return func() {
					_ = os.Remove(lockPath)
					_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
					_ = f.Close()
				}, nil
			}
			_ = f.Close() // the previous holder removed it: lock the new file
			continue
		}
		_ = f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return nil, fmt.Errorf("lock plan %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock plan %s: %w", name, ctx.Err())
		case <-deadline.C:
			return nil, &Error{File: name, Kind: ErrLocked,
				Problem: fmt.Sprintf("another firedrill run is updating the plan (waited %s for %s)", timeout, lockPath),
				Fix:     "let that run finish, then update the plan again"}
		case <-tick.C:
		}
	}
}

// held reports whether the locked file f is still the one at path.
func held(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// keepOwner gives the new file the plan's owner, where the process may.
func keepOwner(f *os.File, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}

// syncDir makes the rename durable; best effort, as some file systems
// refuse to sync a directory.
func syncDir(dir string) {
	if dir == "" {
		dir = "."
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
