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
// waiting at most timeout. The lock file stays (removing it would race
// with a waiter holding it open); the lock dies with the process.
func lockPlan(ctx context.Context, name, real string, timeout time.Duration) (unlock func(), err error) {
	dir, base := filepath.Split(real)
	lockPath := filepath.Join(dir, "."+base+".lock")
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock plan %s: %w", name, err)
	}
	unlock = func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(lockPoll)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return unlock, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lock plan %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lock plan %s: %w", name, ctx.Err())
		case <-deadline.C:
			_ = f.Close()
			return nil, &Error{File: name, Kind: ErrLocked,
				Problem: fmt.Sprintf("another firedrill run is updating the plan (waited %s for %s)", timeout, lockPath),
				Fix:     "let that run finish, then update the plan again"}
		case <-tick.C:
		}
	}
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
