package fault

import (
	"context"
	"fmt"
	"time"
)

// Datacenter is what losing a server needs: remove the server with its
// disks, and wipe the backups that lived beside it.
type Datacenter interface {
	// RemoveServer returns once the container engine has confirmed the
	// removal.
	RemoveServer(ctx context.Context) error
	WipeLocalBackups(ctx context.Context) (objects int, err error)
}

type loseServer struct {
	dc    Datacenter
	now   func() time.Time
	wiped int
}

// LoseServer removes the primary server, its volumes and its local backups,
// as a hardware failure or a data-centre outage does.
func LoseServer(dc Datacenter) Fault { return &loseServer{dc: dc, now: time.Now} }

func (l *loseServer) Name() string { return "lose the primary server with its disks and local backups" }

// Inject removes the server and stamps the fault with the host's clock
// when the engine confirmed the removal: a removed container has no clock
// left to read. The local backups are wiped after the stamp; the server
// is gone by then.
func (l *loseServer) Inject(ctx context.Context) (Stamp, error) {
	if err := l.dc.RemoveServer(ctx); err != nil {
		return Stamp{}, fmt.Errorf("remove primary server: %w", err)
	}
	st := Stamp{At: l.now(), Clock: HostClock,
		Moment: "when the container engine confirmed the removal of the server (a removed container has no clock to read)"}
	n, err := l.dc.WipeLocalBackups(ctx)
	if err != nil {
		return Stamp{}, fmt.Errorf("wipe local backups: %w", err)
	}
	l.wiped = n
	return st, nil
}

// Undo does nothing: a lost server stays lost; the stack is removed at the
// scenario's end.
func (l *loseServer) Undo(context.Context) error { return nil }

// Wiped is how many backup objects the fault destroyed.
func (l *loseServer) Wiped() int { return l.wiped }
