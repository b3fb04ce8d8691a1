package configdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

const (
	reg = syscall.S_IFREG
	dir = syscall.S_IFDIR
)

// Trust decides on a stat result alone.
func TestTrustCheck(t *testing.T) {
	tests := []struct {
		name     string
		self     uint32
		perm     Perm
		ancestor bool
		wantErr  string // "" when trusted
	}{
		{"root's file 0644", 0, Perm{0, 0, reg | 0o644}, false, ""},
		{"root's file 0600", 0, Perm{0, 0, reg | 0o600}, false, ""},
		{"another user's file", 0, Perm{1000, 1000, reg | 0o644}, false, "not owned by root"},
		{"root's file 0666", 0, Perm{0, 0, reg | 0o666}, false, "writable by its group and every user"},
		{"root's file 0664", 0, Perm{0, 0, reg | 0o664}, false, "writable by its group"},
		{"root's dir 0777", 0, Perm{0, 0, dir | 0o777}, false, "writable by its group and every user"},
		{"root's sticky /tmp as an ancestor", 0, Perm{0, 0, dir | 0o1777}, true, ""},
		{"root's sticky dir as the config dir itself", 0, Perm{0, 0, dir | 0o1777}, false, "writable"},
		{"a user's sticky dir as an ancestor", 0, Perm{1000, 1000, dir | 0o1777}, true, "not owned by root"},
		{"root's 0777 dir without sticky bit as an ancestor", 0, Perm{0, 0, dir | 0o777}, true, "writable"},
		{"the reader's own file (herod --user)", 1000, Perm{1000, 1000, reg | 0o644}, false, ""},
		{"root's file, read by a user", 1000, Perm{0, 0, reg | 0o644}, false, ""},
		{"a third user's file, read by a user", 1000, Perm{1001, 1001, reg | 0o644}, false, "not owned by root or"},
		{"the reader's own group-writable file", 1000, Perm{1000, 1000, reg | 0o664}, false, "writable by its group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Trust{Self: tt.self}.Check("/etc/hero/services/a.toml", tt.perm, tt.ancestor)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an untrusted error saying %q", err, tt.wantErr)
			}
			for _, must := range []string{"/etc/hero/services/a.toml", "mode ", "chown root: /etc/hero/services/a.toml; chmod go-w /etc/hero/services/a.toml"} {
				if !strings.Contains(err.Error(), must) {
					t.Errorf("%q does not say %q", err, must)
				}
			}
		})
	}
}

// A symlink is followed only when root (or the reader itself) owns it; a refusal names the
// symlink and its owner.
func TestTrustCheckSymlink(t *testing.T) {
	const lnk = syscall.S_IFLNK
	tests := []struct {
		name    string
		self    uint32
		perm    Perm
		refused bool
	}{
		{"root's symlink", 0, Perm{0, 0, lnk | 0o777}, false},
		{"a user's symlink", 0, Perm{1000, 1000, lnk | 0o777}, true},
		{"the reader's own symlink (herod --user)", 1000, Perm{1000, 1000, lnk | 0o777}, false},
		{"root's symlink, read by a user", 1000, Perm{0, 0, lnk | 0o777}, false},
		{"a third user's symlink, read by a user", 1000, Perm{1001, 1001, lnk | 0o777}, true},
	}
	for _, tt := range tests {
		err := Trust{Self: tt.self}.CheckSymlink("/tmp/hop.toml", tt.perm)
		if (err != nil) != tt.refused {
			t.Errorf("%s: %v, want refused %v", tt.name, err, tt.refused)
			continue
		}
		if err == nil {
			continue
		}
		var ue *UntrustedError
		if !errors.Is(err, ErrUntrusted) || !errors.As(err, &ue) || !ue.Symlink {
			t.Errorf("%s: %v is not an untrusted symlink", tt.name, err)
		}
		if want := fmt.Sprintf("uid %d", tt.perm.UID); !strings.HasPrefix(err.Error(), "untrusted: symlink /tmp/hop.toml is owned by ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not say %q", tt.name, err, want)
		}
	}
}

// Who could read a file follows its modes and owners, and those of the directories on the way.
func TestAccessReadable(t *testing.T) {
	root755 := Perm{0, 0, dir | 0o755}
	tests := []struct {
		name   string
		access Access
		uid    uint32
		groups []uint32
		want   bool
	}{
		{"world-readable file", Access{root755, Perm{0, 0, reg | 0o644}}, 1000, nil, true},
		{"root-only file", Access{root755, Perm{0, 0, reg | 0o600}}, 1000, nil, false},
		{"root-only file, root", Access{root755, Perm{0, 0, reg | 0o600}}, 0, nil, true},
		{"shadow-like file, not in its group", Access{root755, Perm{0, 42, reg | 0o640}}, 1000, []uint32{1000}, false},
		{"shadow-like file, in its group", Access{root755, Perm{0, 42, reg | 0o640}}, 1000, []uint32{42}, true},
		{"own 0600 file", Access{root755, Perm{1000, 1000, reg | 0o600}}, 1000, nil, true},
		{"readable file in a closed directory", Access{Perm{0, 0, dir | 0o700}, Perm{0, 0, reg | 0o644}}, 1000, nil, false},
		{"nothing known", nil, 1000, nil, false},
	}
	for _, tt := range tests {
		if got := tt.access.Readable(tt.uid, tt.groups); got != tt.want {
			t.Errorf("%s: Readable = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !(Access{root755, Perm{0, 0, reg | 0o644}}).WorldReadable() || (Access{root755, Perm{0, 0, reg | 0o640}}).WorldReadable() {
		t.Errorf("WorldReadable is wrong")
	}
}

// On disk: every way a non-root user could have written a service file makes it a problem
// and its service bad-config; nothing of it is read. Needs root (to give files away).
func TestLoadRefusesUntrustedFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create files of another user")
	}
	base := t.TempDir()
	os.Chmod(base, 0o755)
	cfg := filepath.Join(base, "services")
	os.Mkdir(cfg, 0o755)
	bob := filepath.Join(base, "bob")
	os.Mkdir(bob, 0o755)
	os.Chown(bob, 1000, 1000)
	const body = "exec = \"/bin/true\"\n"
	write(t, cfg, "good.toml", body)
	write(t, cfg, "others.toml", body)
	os.Chown(filepath.Join(cfg, "others.toml"), 1000, 1000)
	write(t, cfg, "open.toml", body)
	os.Chmod(filepath.Join(cfg, "open.toml"), 0o666)
	write(t, bob, "evil.toml", body)
	os.Symlink(filepath.Join(bob, "evil.toml"), filepath.Join(cfg, "intobob.toml"))
	r, err := Read(cfg, Trust{Self: 0})
	if err != nil {
		t.Fatal(err)
	}
	if r.Set.Service("good") == nil || r.Set.BadConfig("good") {
		t.Errorf("the trusted file was not loaded")
	}
	want := []string{"intobob.toml", "open.toml", "others.toml"}
	if strings.Join(r.Untrusted, " ") != strings.Join(want, " ") {
		t.Errorf("untrusted %v, want %v", r.Untrusted, want)
	}
	for _, f := range want {
		name := strings.TrimSuffix(f, ".toml")
		if !r.Set.BadConfig(name) {
			t.Errorf("%s is not bad-config", name)
		}
	}
	for _, p := range r.Problems {
		if p.File == "intobob.toml" && !strings.Contains(p.Message, bob+" is owned by") {
			t.Errorf("the symlink's problem does not name the directory it leads through: %s", p)
		}
	}
	// A directory anyone may write is refused as a whole.
	os.Chmod(cfg, 0o777)
	if _, err := Read(cfg, Trust{Self: 0}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("a 0777 directory was read: %v", err)
	}
	// ... and so is one on the way through a symlink.
	os.Chmod(cfg, 0o755)
	link := filepath.Join(base, "link")
	os.Symlink(bob, link)
	if _, err := Read(link, Trust{Self: 0}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("a directory owned by another user was read through a symlink: %v", err)
	}
	// A symlink a user owns is never followed, even to a root-owned file through root-owned
	// directories (a sticky, world-writable one on the way, as /tmp): its owner chose the file.
	sticky := filepath.Join(base, "tmp")
	os.Mkdir(sticky, 0o755)
	syscall.Chmod(sticky, 0o1777)
	write(t, base, "rootfile.toml", body)
	hop := filepath.Join(sticky, "hop.toml")
	os.Symlink(filepath.Join(base, "rootfile.toml"), hop)
	os.Lchown(hop, 1000, 1000)
	os.Symlink(hop, filepath.Join(cfg, "hop.toml"))
	rootHop := filepath.Join(sticky, "roothop.toml")
	os.Symlink(filepath.Join(base, "rootfile.toml"), rootHop)
	os.Symlink(rootHop, filepath.Join(cfg, "roothop.toml"))
	r, err = Read(cfg, Trust{Self: 0})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Set.BadConfig("hop") || !slices.Contains(r.Untrusted, "hop.toml") {
		t.Errorf("a user's symlink was followed: untrusted %v", r.Untrusted)
	}
	for _, p := range r.Problems {
		if p.File == "hop.toml" && !strings.Contains(p.Message, "untrusted: symlink "+hop+" is owned by ") || p.File == "hop.toml" && !strings.Contains(p.Message, "uid 1000") {
			t.Errorf("the refusal does not name the symlink and its owner: %s", p)
		}
	}
	if r.Set.Service("roothop") == nil || r.Set.BadConfig("roothop") {
		t.Errorf("a symlink root made, through a sticky directory, was refused: %v", r.Problems)
	}
	// The owner reads their own directory (heroctl validate --config-dir as that user).
	if r, err := Read(bob, Trust{Self: 1000}); err != nil || len(r.Untrusted) != 0 {
		t.Errorf("the owner cannot read their own directory: %v %v", err, r)
	}
}
