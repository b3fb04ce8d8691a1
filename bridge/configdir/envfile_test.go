package configdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A service's env_file is held to the service files' rule: missing, writable by others, owned
// by another user, behind a directory others may write: each a problem on env_file's line, and
// its service bad-config. Needs root (to give files away).
func TestEnvFileTrust(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create files of another user")
	}
	base := t.TempDir()
	os.Chmod(base, 0o755)
	cfg := filepath.Join(base, "services")
	secrets := filepath.Join(base, "secrets")
	open := filepath.Join(base, "open")
	for _, d := range []string{cfg, secrets, open} {
		os.Mkdir(d, 0o755)
	}
	os.Chmod(open, 0o777)
	for _, f := range []string{"good.env", "world.env", "bob.env"} {
		write(t, secrets, f, "A=1\n")
	}
	os.Chmod(filepath.Join(secrets, "good.env"), 0o600)
	os.Chmod(filepath.Join(secrets, "world.env"), 0o666)
	os.Chown(filepath.Join(secrets, "bob.env"), 1000, 1000)
	write(t, open, "in-open-dir.env", "A=1\n")
	cases := map[string]string{
		"good":    filepath.Join(secrets, "good.env"),
		"world":   filepath.Join(secrets, "world.env"),
		"bob":     filepath.Join(secrets, "bob.env"),
		"opendir": filepath.Join(open, "in-open-dir.env"),
		"missing": filepath.Join(secrets, "missing.env"),
		"dir":     secrets,
	}
	for name, f := range cases {
		write(t, cfg, name+".toml", "exec = \"/bin/true\"\n\nenv_file = \""+f+"\"\n")
	}
	r, err := Read(cfg, Trust{Self: 0})
	if err != nil {
		t.Fatal(err)
	}
	if r.Set.BadConfig("good") || r.Set.Service("good").Daemon.EnvFile != cases["good"] {
		t.Errorf("a root-owned 0600 env_file was refused: %v", r.Set.Problems("good"))
	}
	want := map[string]string{
		"world":   "untrusted: " + cases["world"] + " is owned by root (uid 0) with mode 0666: writable by its group and every user",
		"bob":     "untrusted: " + cases["bob"] + " is owned by",
		"opendir": "untrusted: " + open + " is owned by root (uid 0) with mode 0777",
		"missing": cases["missing"] + " does not exist: systemd would refuse to start the service",
		"dir":     "is not a regular file but a directory",
	}
	for name, msg := range want {
		probs := r.Set.Problems(name)
		if !r.Set.BadConfig(name) || len(probs) != 1 || probs[0].Line != 3 || probs[0].Key != "env_file" || !strings.Contains(probs[0].Message, msg) {
			t.Errorf("%s: problems %v, want one on line 3, env_file, saying %q", name, problemLines(probs), msg)
		}
		if w := probs[0].Withheld(); len(probs) == 1 && strings.Contains(w.Message, base) {
			t.Errorf("%s: the problem told to others names the file: %s", name, w)
		}
	}
	if err := CheckEnvFile(cases["world"], Trust{Self: 0}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("CheckEnvFile of a 0666 file: %v, want an untrusted error", err)
	}
}

// The cache reads the directory again when the mode of an env_file or of a directory on its way
// changes: one made writable by others after herod read it is refused at the next read.
func TestCacheSeesEnvFileChange(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("trust is decided for root's files here")
	}
	base := t.TempDir()
	os.Chmod(base, 0o755)
	cfg := filepath.Join(base, "services")
	os.Mkdir(cfg, 0o755)
	secrets := filepath.Join(base, "secrets")
	os.Mkdir(secrets, 0o755)
	env := filepath.Join(secrets, "app.env")
	write(t, secrets, "app.env", "A=1\n")
	write(t, cfg, "app.toml", "exec = \"/bin/true\"\nenv_file = \""+env+"\"\n")
	c := &Cache{dir: cfg}
	if _, probs, err := c.Load(); err != nil || len(probs) != 0 {
		t.Fatalf("first load: %v %v", err, probs)
	}
	os.Chmod(env, 0o666)
	if _, probs, err := c.Load(); err != nil || len(probs) != 1 || probs[0].Key != "env_file" {
		t.Errorf("after chmod 0666: %v %v, want the env_file refused", err, problemLines(probs))
	}
	os.Chmod(env, 0o644)
	if _, probs, err := c.Load(); err != nil || len(probs) != 0 {
		t.Errorf("after chmod 0644: %v %v, want no problem", err, problemLines(probs))
	}
	// A directory on its way made writable by others, then fixed.
	os.Chmod(secrets, 0o777)
	if _, probs, err := c.Load(); err != nil || len(probs) != 1 || probs[0].Key != "env_file" {
		t.Errorf("after chmod 0777 of its directory: %v %v, want the env_file refused", err, problemLines(probs))
	}
	os.Chmod(secrets, 0o755)
	if _, probs, err := c.Load(); err != nil || len(probs) != 0 {
		t.Errorf("after chmod 0755 of its directory: %v %v, want no problem", err, problemLines(probs))
	}
}
