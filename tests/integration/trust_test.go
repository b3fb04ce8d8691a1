//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// otherUser is a second local user with a home of their own (the symlink target of a test).
const otherUser = "hero-bob"

func ensureUser(t *testing.T, name string, home bool) {
	t.Helper()
	if testbed.Run(t, "id", name).Code == 0 {
		return
	}
	if home {
		testbed.MustRun(t, "useradd", "--create-home", name)
	} else {
		testbed.MustRun(t, "useradd", "--no-create-home", name)
	}
}

// asUser runs a shell command as user.
func asUser(t *testing.T, user, script string) testbed.Result {
	t.Helper()
	return testbed.Run(t, "runuser", "-u", user, "--", "/bin/sh", "-c", script)
}

// publicDir is a fresh directory every user may reach (t.TempDir is root's alone), removed at
// the end of the test.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/srv", "hero-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// markerService is a service file that, if it ever ran, would create marker.
func markerService(marker string) string {
	return "status = \"start\"\noneshot = true\nexec = [\"/bin/touch\", \"" + marker + "\"]\n"
}

// A service file that someone other than root could have written is refused and never run,
// whoever wrote it and however: owned by another user, mode 0666, reached through a symlink
// into another user's home, or in a directory anyone may write. herod --check fails on each;
// the file's owner can still validate their own directory offline.
func TestUntrustedFilesAreNeverRun(t *testing.T) {
	installPolicy(t)
	ensureUser(t, otherUser, true)
	base := publicDir(t)
	dir, markers := filepath.Join(base, "services"), filepath.Join(base, "markers")
	os.Mkdir(dir, 0o755)
	os.Mkdir(markers, 0o1777)
	marker := func(name string) string { return filepath.Join(markers, name) }
	write := func(name, data string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, name), mode)
	}
	write("good.toml", markerService(marker("good")), 0o644)
	// Given away (an admin's mistake), then written by its new owner.
	write("given.toml", "", 0o644)
	os.Chown(filepath.Join(dir, "given.toml"), uidOf(t, unprivileged), -1)
	// Anyone may write it; an unprivileged user does.
	write("open.toml", "", 0o666)
	for _, name := range []string{"given", "open"} {
		path := filepath.Join(dir, name+".toml")
		if r := asUser(t, unprivileged, "printf '%s' '"+markerService(marker(name))+"' > "+path); r.Code != 0 {
			t.Fatalf("the user could not write %s: %s", path, r.Stderr)
		}
	}
	// A symlink into another user's home, where that user controls what it says.
	bobFile := "/home/" + otherUser + "/svc.toml"
	if r := asUser(t, otherUser, "printf '%s' '"+markerService(marker("intobob"))+"' > "+bobFile); r.Code != 0 {
		t.Fatalf("writing %s: %s", bobFile, r.Stderr)
	}
	os.Symlink(bobFile, filepath.Join(dir, "intobob.toml"))

	check := testbed.Run(t, herodBin, "--check", "--config-dir", dir, "--state-dir", t.TempDir())
	if check.Code == 0 {
		t.Errorf("herod --check passed a directory with untrusted files:\n%s%s", check.Stdout, check.Stderr)
	}
	out := check.Stdout + check.Stderr
	for _, want := range []string{
		"given.toml: untrusted: " + filepath.Join(dir, "given.toml") + " is owned by " + unprivileged,
		"open.toml: untrusted: " + filepath.Join(dir, "open.toml") + " is owned by root (uid 0) with mode 0666: writable by its group and every user",
		"chown root: " + filepath.Join(dir, "open.toml") + "; chmod go-w " + filepath.Join(dir, "open.toml"),
		"intobob.toml: symlink to an untrusted place: untrusted: /home/" + otherUser + " is owned by " + otherUser,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("herod --check does not say %q:\n%s", want, out)
		}
	}

	h := herodIn(t, dir, t.TempDir(), nil).serving(t)
	testbed.Eventually(t, 60*time.Second, "the trusted service ran", func() bool {
		_, err := os.Stat(marker("good"))
		return err == nil
	})
	for _, name := range []string{"given", "open", "intobob"} {
		r := heroctl(t, "start", name)
		if r.Code == 0 || !strings.Contains(r.Stderr, "untrusted") {
			t.Errorf("heroctl start %s: exit %d, want a refusal naming it untrusted\n%s", name, r.Code, r.Stderr)
		}
		if st := heroctl(t, "status", name); !strings.Contains(st.Stdout, "bad-config") {
			t.Errorf("%s is not bad-config:\n%s", name, st.Stdout)
		}
	}
	if log, _ := os.ReadFile(h.log); !strings.Contains(string(log), `level=ERROR msg="service file refused as untrusted: never read, never run" problem="open.toml: untrusted: `) {
		t.Errorf("herod does not log the refusal as an error:\n%s", log)
	}
	// herod restarted (status = "start" services start at daemon start) runs none of them.
	h.stop()
	h.launch(t).serving(t)
	testbed.MustRun(t, herodBin, "--check", "--config-dir", filepath.Join(base, "nothing"), "--state-dir", t.TempDir())
	for _, name := range []string{"given", "open", "intobob"} {
		if _, err := os.Stat(marker(name)); err == nil {
			t.Errorf("%s ran: its marker exists", name)
		}
	}
	h.stop()

	// A directory anyone may write: herod refuses it whole, and does not start.
	os.Remove(filepath.Join(dir, "given.toml"))
	os.Remove(filepath.Join(dir, "open.toml"))
	os.Remove(filepath.Join(dir, "intobob.toml"))
	os.Remove(marker("good"))
	os.Chmod(dir, 0o777)
	if r := testbed.Run(t, herodBin, "--check", "--config-dir", dir, "--state-dir", t.TempDir()); r.Code == 0 || !strings.Contains(r.Stderr, "mode 0777: writable by its group and every user") {
		t.Errorf("herod --check on a 0777 directory: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := exec.CommandContext(ctx, herodBin, "--config-dir", dir, "--state-dir", t.TempDir()).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(run), "untrusted") {
		t.Errorf("herod on a 0777 directory: %v (timed out: %v)\n%s", err, ctx.Err() != nil, run)
	}
	if _, err := os.Stat(marker("good")); err == nil {
		t.Errorf("a service of a 0777 directory ran")
	}

	// The owner of a directory validates it offline, as themselves.
	own := "/home/" + otherUser + "/services"
	if r := asUser(t, otherUser, "mkdir -p "+own+" && printf 'exec = \"/bin/true\"\\n' > "+own+"/mine.toml"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	for _, args := range [][]string{{"validate", own}, {"validate", "--config-dir", own}} {
		r := heroctlAs(t, otherUser, args...)
		wantExit(t, r, 0, "the owner's validate of their own directory")
	}
	// ... and another user's directory is untrusted to them as to herod.
	r := heroctlAs(t, unprivileged, "validate", "--config-dir", own)
	if r.Code == 0 || !strings.Contains(r.Stderr+r.Stdout, "untrusted") {
		t.Errorf("validate of another user's directory: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

func uidOf(t *testing.T, user string) int {
	t.Helper()
	var uid int
	out := strings.TrimSpace(testbed.MustRun(t, "id", "-u", user))
	for _, c := range out {
		uid = uid*10 + int(c-'0')
	}
	return uid
}

// What herod answers an unprivileged caller holds no byte of a file that caller cannot read:
// a symlink to /etc/shadow and a 0600 file with a secret typo are told by file, line, key and
// kind only; root is told everything, as before; a file every user may read is quoted to all.
func TestProblemsDiscloseNoUnreadableFile(t *testing.T) {
	installPolicy(t)
	// A known password hash for the unprivileged user, to look for.
	const hash = "$y$j9T$heroTestSaltXYZ$heroTestHashValueThatMustNotLeak0123456789"
	testbed.MustRun(t, "usermod", "-p", hash, unprivileged)
	dir := filepath.Join(publicDir(t), "services")
	os.Mkdir(dir, 0o755)
	os.Symlink("/etc/shadow", filepath.Join(dir, "a.yaml"))
	const secret = "s3cret-Do-Not-Print-4711"
	const secretKey = "token_Key-Do-Not-Print-0042"
	os.WriteFile(filepath.Join(dir, "secret.toml"), []byte("exec = \"/bin/true\"\nstatus = \"DB_PASSWORD="+secret+"\"\n"+secretKey+" = 1\n"), 0o600)
	const visible = "world-readable-typo-0815"
	os.WriteFile(filepath.Join(dir, "public.toml"), []byte("exec = \"/bin/true\"\nstatus = \""+visible+"\"\n"), 0o644)
	herodIn(t, dir, t.TempDir(), nil).serving(t)

	root := heroctl(t, "validate")
	wantExit(t, root, 1, "validate as root")
	rootOut := root.Stdout + root.Stderr
	for _, want := range []string{secret, secretKey, "$y$j9T$heroTestSalt", visible} {
		if !strings.Contains(rootOut, want) {
			t.Errorf("root's validate does not quote %q (as it did before):\n%s", want, rootOut)
		}
	}

	user := heroctlAs(t, unprivileged, "validate")
	wantExit(t, user, 1, "validate as an unprivileged user")
	userOut := user.Stdout + user.Stderr
	for _, leak := range []string{secret, secretKey, "$y$", "heroTest", "DB_PASSWORD", "root:"} {
		if strings.Contains(userOut, leak) {
			t.Errorf("the unprivileged user's validate holds %q:\n%s", leak, userOut)
		}
	}
	for _, want := range []string{"a.yaml:1: …: unknown key or section", `secret.toml:2: status: must be "start", "stop" or "ignore", not "…"`,
		"secret.toml:3: …: unknown key or section", visible} {
		if !strings.Contains(userOut, want) {
			t.Errorf("the unprivileged user's validate does not say %q:\n%s", want, userOut)
		}
	}
	// The same through status, the service's object (busctl) and offline validate.
	for name, r := range map[string]testbed.Result{
		"status": heroctlAs(t, unprivileged, "status", "secret"),
		"busctl": testbed.Run(t, "runuser", "-u", unprivileged, "--", "busctl", "get-property", api.BusName,
			api.ServicePath("secret"), api.ServiceInterface, "Problems"),
		"busctl Validate": testbed.Run(t, "runuser", "-u", unprivileged, "--", "busctl", "call", api.BusName,
			api.Path, api.Interface, "Validate"),
		"offline validate": heroctlAs(t, unprivileged, "validate", "--config-dir", dir),
	} {
		out := r.Stdout + r.Stderr
		if strings.Contains(out, secret) || strings.Contains(out, secretKey) || strings.Contains(out, "$y$") || strings.Contains(out, "heroTest") {
			t.Errorf("%s as an unprivileged user discloses a secret:\n%s", name, out)
		}
	}
	if r := heroctl(t, "status", "secret"); !strings.Contains(r.Stdout, secret) {
		t.Errorf("root's status does not quote the problem:\n%s", r.Stdout)
	}
}
