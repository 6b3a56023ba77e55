package fault

import "context"

type kill struct {
	sh      Shell
	name    string
	command string
}

// Kill runs the system's command that kills a process the way a crash
// does (SIGKILL: no handler runs, nothing is flushed).
func Kill(sh Shell, name, command string) Fault {
	return &kill{sh: sh, name: name, command: command}
}

func (k *kill) Name() string { return k.name }

func (k *kill) Inject(ctx context.Context) error {
	return mustRun(ctx, k.sh, "inject "+k.name, k.command)
}

// Undo does nothing: a killed process is restarted by the recovery, not by
// firedrill.
func (k *kill) Undo(context.Context) error { return nil }
