package fault

import (
	"context"
	"fmt"
)

// Datacenter is what losing a server needs: remove the server with its
// disks, and wipe the backups that lived beside it.
type Datacenter interface {
	RemoveServer(ctx context.Context) error
	WipeLocalBackups(ctx context.Context) (objects int, err error)
}

type loseServer struct {
	dc    Datacenter
	wiped int
}

// LoseServer removes the primary server, its volumes and its local backups,
// as a hardware failure or a data-centre outage does.
func LoseServer(dc Datacenter) Fault { return &loseServer{dc: dc} }

func (l *loseServer) Name() string { return "lose the primary server with its disks and local backups" }

func (l *loseServer) Inject(ctx context.Context) error {
	if err := l.dc.RemoveServer(ctx); err != nil {
		return fmt.Errorf("remove primary server: %w", err)
	}
	n, err := l.dc.WipeLocalBackups(ctx)
	if err != nil {
		return fmt.Errorf("wipe local backups: %w", err)
	}
	l.wiped = n
	return nil
}

// Undo does nothing: a lost server stays lost; the stack is removed at the
// scenario's end.
func (l *loseServer) Undo(context.Context) error { return nil }

// Wiped is how many backup objects the fault destroyed.
func (l *loseServer) Wiped() int { return l.wiped }
