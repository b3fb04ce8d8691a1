package bridge

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// WriteEnvFile writes a unit's environment file, 0600, into a directory only this process's
// user may enter (made 0700, or made so), and refuses a directory that is not one, is owned by
// someone else, or is not the file's.
func TestWriteEnvFile(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(t *testing.T, dir string) // sets the directory up ("" dir is missing)
		file    func(dir string) string        // the unit's EnvFile
		want    string                         // in the error; "" for none
	}{
		{name: "missing directory"},
		{name: "directory open to others", prepare: func(t *testing.T, dir string) { mustDo(t, os.Mkdir(dir, 0o755)) }},
		{name: "a file", prepare: func(t *testing.T, dir string) { mustDo(t, os.WriteFile(dir, nil, 0o600)) }, want: "not a directory"},
		{name: "a symbolic link to a directory", prepare: func(t *testing.T, dir string) {
			mustDo(t, os.Mkdir(dir+".real", 0o700))
			mustDo(t, os.Symlink(dir+".real", dir))
		}, want: "is not a directory"},
		{name: "owned by another user", prepare: func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the directory away")
			}
			mustDo(t, os.Mkdir(dir, 0o700))
			mustDo(t, os.Chown(dir, 4242, 4242))
		}, want: "is not owned by uid 0"},
		{name: "a file outside the directory", file: func(dir string) string { return filepath.Join(filepath.Dir(dir), "x.env") }, want: "is not in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "env")
			if c.prepare != nil {
				c.prepare(t, dir)
			}
			u := &unitgen.Unit{EnvFile: filepath.Join(dir, "u.env"), EnvContent: []byte("A=1\n")}
			if c.file != nil {
				u.EnvFile = c.file(dir)
			}
			err := WriteEnvFile(u, dir)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(u.EnvFile)
			if err != nil || string(data) != "A=1\n" {
				t.Errorf("file %q %v", data, err)
			}
			fi, _ := os.Stat(u.EnvFile)
			di, _ := os.Stat(dir)
			if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
				t.Errorf("modes: file %v dir %v", fi.Mode().Perm(), di.Mode().Perm())
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
	if err := WriteEnvFile(&unitgen.Unit{}, filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("a unit without an environment file: %v", err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// SweepEnvFiles removes the files of units systemd has not loaded and leftover temporary files,
// once older than the grace a start needs, and keeps loaded units' files, young files and files
// hero did not write.
func TestSweepEnvFiles(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.load(t, "db", "active", "running")
	dir := tb.env.dir
	mustDo(t, os.MkdirAll(dir, 0o700))
	old := time.Now().Add(-2 * envFileGrace)
	files := []struct {
		name string
		old  bool
		kept bool
	}{
		{unitgen.EnvFileName(unit("db"), "d1"), true, true},    // its unit is loaded
		{unitgen.EnvFileName(unit("web"), "d2"), true, false},  // not loaded, old
		{unitgen.EnvFileName(unit("web"), "d3"), false, true},  // not loaded, but just written
		{unitgen.TextFileName(unit("db"), "d1"), true, true},   // a text, of a loaded unit
		{unitgen.TextFileName(unit("web"), "d2"), true, false}, // a text, not loaded, old
		{".tmp-123", true, false},                              // a write that died
		{".tmp-456", false, true},                              // a write under way
		{"notes.txt", true, true},                              // not hero's
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		mustDo(t, os.WriteFile(p, []byte("x"), 0o600))
		if f.old {
			mustDo(t, os.Chtimes(p, old, old))
		}
	}
	if err := tb.SweepEnvFiles(tb.ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if kept := err == nil; kept != f.kept {
			t.Errorf("%s: kept %v, want %v", f.name, kept, f.kept)
		}
	}
	mustDo(t, os.RemoveAll(dir))
	if err := tb.SweepEnvFiles(tb.ctx); err != nil {
		t.Errorf("sweeping a missing directory: %v", err)
	}
	tb.sd.fail["ListUnitsByPatterns"] = errors.New("bus gone")
	if err := tb.SweepEnvFiles(tb.ctx); err == nil {
		t.Error("a sweep without systemd's units succeeded")
	}
}

// A start writes each unit's environment file before it creates the unit, and keeps its text
// beside it (for an apply's diff), as private.
func TestStartWritesEnvFile(t *testing.T) {
	tb := newTestBridge(t, map[string]string{"vault.toml": "env = { TOKEN = \"s3cret\" }\n" + service("")})
	tb.load(t, "vault", "inactive", "dead")
	if _, err := tb.Start(tb.ctx, []string{"vault"}, true, nil); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(tb.env.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if fi, err := e.Info(); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", e.Name(), fi.Mode(), err)
		}
	}
	if len(names) != 2 || !strings.HasPrefix(names[0], unit("vault")+"-") || !strings.HasSuffix(names[0], unitgen.EnvFileSuffix) ||
		!strings.HasSuffix(names[1], unitgen.TextFileSuffix) {
		t.Fatalf("environment and text files %v", names)
	}
	for _, name := range names {
		data, _ := os.ReadFile(filepath.Join(tb.env.dir, name))
		if !strings.Contains(string(data), "s3cret") {
			t.Errorf("file %s: %q", name, data)
		}
	}
}

// A start checks each service's env_file first (Options.EnvFileCheck, herod's trust rule), in
// its precheck and again under its locks: one refused fails the start as a bad-config service
// does, with nothing started.
func TestStartChecksEnvFile(t *testing.T) {
	files := map[string]string{
		"db.toml":  "env_file = \"/etc/hero/db.env\"\n" + service(""),
		"api.toml": service(`requires = ["db"]`),
	}
	tb := newTestBridge(t, files)
	var checked []string
	tb.env.check = func(s *config.Service) *config.Problem {
		checked = append(checked, s.Name+" "+s.Daemon.EnvFile)
		return &config.Problem{File: s.File, Line: 1, Key: "env_file", Message: "untrusted: writable by every user"}
	}
	if _, err := tb.PrecheckStart(tb.ctx, []string{"api"}); err == nil || !strings.Contains(err.Error(), "env_file: untrusted") {
		t.Errorf("precheck: %v, want db refused for its env_file", err)
	}
	checked = nil
	_, err := tb.Start(tb.ctx, []string{"api"}, true, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Service != "db" || !strings.Contains(err.Error(), "db.toml:1: env_file: untrusted") {
		t.Errorf("start: %v, want db refused for its env_file", err)
	}
	if len(checked) != 1 || checked[0] != "db /etc/hero/db.env" {
		t.Errorf("checked %v", checked)
	}
	if calls := tb.sd.called("StartTransientUnit"); len(calls) != 0 {
		t.Errorf("started %v", calls)
	}
}
