package configdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Perm is who owns a file or directory and its mode (type bits included): what trust and
// readability are decided on.
type Perm struct {
	UID, GID, Mode uint32
}

func permOf(st *syscall.Stat_t) Perm { return Perm{UID: st.Uid, GID: st.Gid, Mode: st.Mode} }

// UntrustedError is a file or directory that someone other than root (or the reader itself)
// could have written: herod runs what a service file says as root, so such a file is never
// read, as sshd's StrictModes, sudo, cron and systemd's own unit paths refuse them.
type UntrustedError struct {
	Path   string
	Perm   Perm
	Reason string // what is wrong: the owner, or who may write it
	// Symlink is set for a symlink on the way whose owner is not trusted: whoever owns a
	// symlink chooses where it leads.
	Symlink bool
}

func (e *UntrustedError) Error() string {
	if e.Symlink {
		return fmt.Sprintf("untrusted: symlink %s is owned by %s: %s; whoever owns a symlink chooses where it leads, so herod follows a symlink only when root (or, for herod --user, its own user) owns it, as the kernel's protected_symlinks does in sticky directories (fix: have root make it, 'ln -sfn TARGET %s', or name the file itself)",
			e.Path, ownerName(e.Perm.UID), e.Reason, e.Path)
	}
	return fmt.Sprintf("untrusted: %s is owned by %s with mode %04o: %s; herod runs service files as root, so only root may be able to change them and the directories they are in (fix: 'chown root: %s; chmod go-w %s')",
		e.Path, ownerName(e.Perm.UID), e.Perm.Mode&0o7777, e.Reason, e.Path, e.Path)
}

// ErrUntrusted matches every *UntrustedError (errors.Is).
var ErrUntrusted = errors.New("untrusted")

func (e *UntrustedError) Is(target error) bool { return target == ErrUntrusted }

func ownerName(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// Trust says whose files are trusted: root's, and the reader's own (herod --user reads its
// user's directory; heroctl validate --config-dir reads its caller's).
type Trust struct {
	Self uint32 // the reader's effective uid
}

// DefaultTrust trusts root and this process's effective user.
func DefaultTrust() Trust { return Trust{Self: uint32(os.Geteuid())} }

// trusted reports whether uid may own what herod reads: root, or the reader itself.
func (t Trust) trusted(uid uint32) bool { return uid == 0 || uid == t.Self }

// notOwnedBy names the trusted owners, for a refusal.
func (t Trust) notOwnedBy() string {
	if t.Self != 0 {
		return "not owned by root or " + ownerName(t.Self)
	}
	return "not owned by root"
}

// CheckSymlink decides on a symlink on the way to a file (pure): it is followed only when a
// trusted user owns it. A symlink's own mode means nothing (always 0777); its owner decides
// where it leads.
func (t Trust) CheckSymlink(path string, p Perm) error {
	if t.trusted(p.UID) {
		return nil
	}
	return &UntrustedError{Path: path, Perm: p, Reason: t.notOwnedBy(), Symlink: true}
}

// Check decides on one stat result (pure). A directory a path merely passes through (ancestor)
// may be writable by others when it is sticky and owned by a trusted user (/tmp): others cannot
// rename or remove what they do not own there.
func (t Trust) Check(path string, p Perm, ancestor bool) error {
	if !t.trusted(p.UID) {
		return &UntrustedError{Path: path, Perm: p, Reason: t.notOwnedBy()}
	}
	if p.Mode&0o022 == 0 {
		return nil
	}
	if ancestor && p.Mode&syscall.S_IFMT == syscall.S_IFDIR && p.Mode&syscall.S_ISVTX != 0 {
		return nil
	}
	var writers []string
	if p.Mode&0o020 != 0 {
		writers = append(writers, "its group")
	}
	if p.Mode&0o002 != 0 {
		writers = append(writers, "every user")
	}
	return &UntrustedError{Path: path, Perm: p, Reason: "writable by " + strings.Join(writers, " and ")}
}

// maxSymlinks bounds a resolution, as the kernel's ELOOP does.
const maxSymlinks = 40

// resolver resolves paths one component at a time, checking every directory it passes
// through and every symlink it follows (its owner: see CheckSymlink), so that no symlink leads
// through a place an untrusted user controls, and none an untrusted user made is followed. Checked
// directories are remembered (a directory of 10,000 symlinks costs one walk).
type resolver struct {
	trust   Trust
	mu      sync.Mutex
	checked map[string]Perm // resolved directory -> its perm, once checked
}

func newResolver(t Trust) *resolver { return &resolver{trust: t, checked: map[string]Perm{}} }

// resolve returns path with every symlink resolved and the perms of the directories on the
// way (the last one holds the result). Every directory is checked; the last component is not
// (it is checked on the open descriptor by the caller). A missing component is an error
// wrapping fs.ErrNotExist.
func (r *resolver) resolve(path string) (string, []Perm, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, err
	}
	todo := splitPath(abs)
	cur := "/"
	chain := []Perm{}
	p, err := r.dir(cur)
	if err != nil {
		return "", nil, err
	}
	chain = append(chain, p)
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := os.Lstat(next)
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if links++; links > maxSymlinks {
				return "", nil, &fs.PathError{Op: "resolve", Path: path, Err: syscall.ELOOP}
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); !ok {
				return "", nil, &fs.PathError{Op: "resolve", Path: next, Err: syscall.EPERM}
			} else if err := r.trust.CheckSymlink(next, permOf(st)); err != nil {
				return "", nil, err
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", nil, err
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			todo = append(splitPath(target), todo...)
			continue
		}
		if len(todo) == 0 {
			return next, chain, nil
		}
		if p, err = r.dir(next); err != nil {
			return "", nil, err
		}
		chain = append(chain, p)
		cur = next
	}
	return cur, chain[:len(chain)-1], nil
}

// dir checks a resolved directory on the way to a file.
func (r *resolver) dir(path string) (Perm, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.checked[path]; ok {
		return p, nil
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return Perm{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	p := permOf(&st)
	if p.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return Perm{}, &fs.PathError{Op: "resolve", Path: path, Err: syscall.ENOTDIR}
	}
	if err := r.trust.Check(path, p, true); err != nil {
		return Perm{}, err
	}
	r.checked[path] = p
	return p, nil
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Access is what it takes to read a file: the directories on the way to it (each must be
// searchable) and the file itself (readable).
type Access []Perm

// Readable reports whether a process of uid with groups could read the file by its modes and
// owners. Root always can.
func (a Access) Readable(uid uint32, groups []uint32) bool {
	if uid == 0 {
		return true
	}
	if len(a) == 0 {
		return false
	}
	for _, d := range a[:len(a)-1] {
		if !allows(d, uid, groups, 0o1) {
			return false
		}
	}
	return allows(a[len(a)-1], uid, groups, 0o4)
}

// allows applies the owner, group or other bits (whichever class uid falls in) to want.
func allows(p Perm, uid uint32, groups []uint32, want uint32) bool {
	switch {
	case p.UID == uid:
		return p.Mode&(want<<6) != 0
	case inGroups(p.GID, groups):
		return p.Mode&(want<<3) != 0
	}
	return p.Mode&want != 0
}

func inGroups(gid uint32, groups []uint32) bool {
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}

// WorldReadable reports whether every local user may read the file: each directory on the way
// searchable by others, the file readable by others.
func (a Access) WorldReadable() bool {
	if len(a) == 0 {
		return false
	}
	for _, d := range a[:len(a)-1] {
		if d.Mode&0o1 == 0 {
			return false
		}
	}
	return a[len(a)-1].Mode&0o4 != 0
}

// CheckDir checks a directory herod keeps its own state in (the ledger): it and every
// directory on the way to it must be trusted. A directory that does not exist yet is checked
// by its nearest existing parent (herod creates it, 0700).
func CheckDir(path string, t Trust) error {
	for {
		resolved, _, err := newResolver(t).resolve(path)
		if errors.Is(err, fs.ErrNotExist) && filepath.Dir(path) != path {
			path = filepath.Dir(path)
			continue
		}
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Stat(resolved, &st); err != nil {
			return &fs.PathError{Op: "stat", Path: resolved, Err: err}
		}
		return t.Check(resolved, permOf(&st), false)
	}
}
