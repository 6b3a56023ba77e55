package fault

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// saved is the undo copy of a path, kept on the same server.
func saved(path string) string {
	return "/tmp/firedrill-undo/" + strings.NewReplacer("/", "_", " ", "_").Replace(path)
}

func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

type fileFault struct {
	sh     Shell
	path   string
	name   string
	script string
}

func (f *fileFault) Name() string { return f.name }

// Inject saves the undo copy, damages, and stamps the damage with the
// server's clock: the marker line comes after the damaging command, which
// comes after the copy, each step ending the script if it fails.
func (f *fileFault) Inject(ctx context.Context) (Stamp, error) {
	p, s := q(f.path), q(saved(f.path))
	return runStamped(ctx, f.sh, "inject "+f.name, fileScript(p, s, f.script))
}

func fileScript(p, s, damage string) string {
	return fmt.Sprintf("test -e %s || { echo %s does not exist; exit 1; }\n"+
		"mkdir -p /tmp/firedrill-undo || exit 1\n"+
		"%s\n"+
		"{ %s\n} || exit $?\n"+
		"%s\n", p, p, saveCopy(p, s), damage, stampLine)
}

// saveCopy copies path to its undo copy. The system keeps running while
// it is copied, so a file can vanish, or be replaced by a rename, between
// cp listing a folder and reading it: cp is tried again, and a copy that
// lacks only such files is good enough to undo with. Any other error
// fails the fault, with cp's message.
func saveCopy(p, s string) string {
	const errs = "/tmp/firedrill-undo/.cp-err"
	return fmt.Sprintf(`for try in 1 2 3 4 5; do rm -rf %[2]s; cp -a %[1]s %[2]s 2>%[3]s && break; `+
		`if test $try = 5 && grep -v -e 'No such file or directory' -e 'replaced while being copied' %[3]s | grep -q .; then cat %[3]s; exit 1; fi; `+
		`sleep 0.2; done; rm -f %[3]s`, p, s, errs)
}

// Undo puts the saved copy back only where the recovery left nothing.
func (f *fileFault) Undo(ctx context.Context) error {
	p, s := q(f.path), q(saved(f.path))
	_, err := mustRun(ctx, f.sh, "undo "+f.name,
		fmt.Sprintf("if test -e %s && ! test -e %s; then cp -a %s %s; fi; rm -rf %s", s, p, s, p, s))
	return err
}

// DeleteDir removes a directory and everything in it. The system keeps
// writing while it goes: a file it creates in the folder after rm listed
// it makes the last rmdir fail ("Directory not empty"), so rm is tried
// again until the folder is gone; any other error fails the fault.
func DeleteDir(sh Shell, path string) Fault {
	return &fileFault{sh: sh, path: path, name: "delete " + path, script: deleteDir(q(path))}
}

func deleteDir(p string) string {
	const errs = "/tmp/firedrill-undo/.rm-err"
	return fmt.Sprintf(`for try in $(seq 1 50); do rm -rf %[1]s 2>%[2]s && ! test -e %[1]s && break; `+
		`if grep -v -e 'Directory not empty' %[2]s | grep -q .; then cat %[2]s; exit 1; fi; done; `+
		`rm -f %[2]s; if test -e %[1]s; then echo %[1]s is still there after 50 tries: the system keeps writing into it; exit 1; fi`, p, errs)
}

// Truncate cuts a file to n bytes, as a crash mid-write or a full disk does.
func Truncate(sh Shell, path string, n int64) Fault {
	return &fileFault{sh: sh, path: path, name: fmt.Sprintf("truncate %s to %d bytes", path, n),
		script: afterWrite(q(path)) + fmt.Sprintf("truncate -s %d %s", n, q(path))}
}

// afterWrite waits, for about 2 s at most, until the file at p is written
// again, so that damage done in place lands just after the system's writer
// finished with it: between that writer's read and its write (a rebuild
// once a second) it would be put right at once, and the fault would never
// bite. A file nothing writes is damaged after the wait. The fault's moment
// is stamped after the damage, so the wait is not part of any measure.
func afterWrite(p string) string {
	return fmt.Sprintf(`m=$(stat -c %%y %[1]s); for i in $(seq 1 200); do test "$(stat -c %%y %[1]s 2>/dev/null)" != "$m" && break; sleep 0.01; done; `, p)
}

// FlipBit flips the lowest bit of the byte in the middle of a file, as
// silent corruption on a disk does; the file keeps its size.
func FlipBit(sh Shell, path string) Fault {
	p := q(path)
	script := afterWrite(p) + fmt.Sprintf(`size=$(stat -c %%s %s); off=$((size/2)); `+
		`b=$(od -An -tu1 -j "$off" -N1 %s | tr -d ' '); `+
		`printf "$(printf '\\%%03o' $((b ^ 1)))" | dd of=%s bs=1 seek="$off" conv=notrunc status=none`, p, p, p)
	return &fileFault{sh: sh, path: path, name: "flip one bit of " + path, script: script}
}

// Overwrite replaces a file's content, as a bad edit or a bad deploy does.
func Overwrite(sh Shell, path, what string, content []byte) Fault {
	enc := base64.StdEncoding.EncodeToString(content)
	return &fileFault{sh: sh, path: path, name: what + " in " + path,
		script: fmt.Sprintf("echo %s | base64 -d > %s", enc, q(path))}
}

var yamlKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// SetYAMLValue sets a dotted key of a YAML file to a raw value, keeping the
// file valid YAML: the first line whose key is the last part of the dotted
// key, below the parents in order, is rewritten.
func SetYAMLValue(sh Shell, path, key, value string) (Fault, error) {
	if !yamlKey.MatchString(key) {
		return nil, fmt.Errorf("set yaml value: key %q is not a dotted name like guards.max_daily_loss", key)
	}
	parts := strings.Split(key, ".")
	// awk walks the parents in order, then rewrites the first matching leaf.
	var b strings.Builder
	fmt.Fprintf(&b, `awk -v n=%d -v val=%s '`, len(parts), q(value))
	b.WriteString(`BEGIN{`)
	for i, p := range parts {
		fmt.Fprintf(&b, `k[%d]="%s";`, i+1, p)
	}
	b.WriteString(`d=1} { line=$0; if (!done) { s=line; sub(/^[ \t-]*/, "", s); ind=match(line,/[^ \t]/)-1; `)
	b.WriteString(`if (index(s, k[d] ":")==1) { if (d==n) { pre=substr(line,1,ind); $0=pre k[d] ": " val; done=1 } else { d++ } } } print }`)
	fmt.Fprintf(&b, `' %s > %s.firedrill && `, q(path), q(path))
	fmt.Fprintf(&b, `grep -q %s %s.firedrill && mv %s.firedrill %s`, q(parts[len(parts)-1]+": "+value), q(path), q(path), q(path))
	return &fileFault{sh: sh, path: path, name: fmt.Sprintf("set %s to %s in %s", key, value, path), script: b.String()}, nil
}

// Append adds a line at the end of a file.
func Append(sh Shell, path, line string) Fault {
	return &fileFault{sh: sh, path: path, name: "stray line appended to " + path,
		script: fmt.Sprintf("printf '%%s\\n' %s >> %s", q(line), q(path))}
}
