package fault

import (
	"context"
	"fmt"
)

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

// Inject runs the kill command in a subshell (an exit in it must not skip
// the stamp) and stamps the moment it returned with the server's clock.
func (k *kill) Inject(ctx context.Context) (Stamp, error) {
	st, err := runStamped(ctx, k.sh, "inject "+k.name, fmt.Sprintf("( %s\n) || exit $?\n%s\n", k.command, stampLine))
	if err != nil {
		return st, err
	}
	st.Moment = "right after the kill command returned"
	return st, nil
}

// Undo does nothing: a killed process is restarted by the recovery, not by
// firedrill.
func (k *kill) Undo(context.Context) error { return nil }
