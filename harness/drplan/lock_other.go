//go:build !unix

package drplan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockPlan refuses: without flock, concurrent updaters could lose updates.
func lockPlan(ctx context.Context, name, real string, timeout time.Duration) (func(), error) {
	return nil, fmt.Errorf("lock plan %s: plan updates need flock, which this OS lacks: update the plan from Linux or macOS", name)
}

func keepOwner(f *os.File, fi fs.FileInfo) {}

func syncDir(dir string) {}
