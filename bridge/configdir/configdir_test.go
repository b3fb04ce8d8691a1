package configdir

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func problemLines(probs config.Problems) []string {
	var out []string
	for _, p := range probs {
		out = append(out, p.String())
	}
	return out
}

func TestLoadSkipsNonServiceFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web.toml", "exec = \"/bin/true\"\n")
	write(t, dir, "README.md", "# not a service")
	write(t, dir, ".web.toml.swp", "junk")
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	write(t, dir, "sub/x.toml", "junk")
	set, probs, err := Load(dir)
	if err != nil || len(probs) != 0 {
		t.Fatalf("Load: %v %v", err, probs)
	}
	if len(set.Services) != 1 || set.Services[0].Name != "web" {
		t.Fatalf("services %v, want [web]", set.Services)
	}
}

// Whatever a service file's name points at, reading the directory never waits and never reads
// more than a service file may hold: each such file is a problem, the others load.
func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.toml", "exec = \"/bin/true\"\n")
	write(t, dir, "big.toml", strings.Repeat("#", config.MaxFileSize+1))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "adir.toml.d"), 0o755)
	links := map[string]string{
		"kmsg.toml":    "/proc/kmsg",
		"null.toml":    "/dev/null",
		"dir.toml":     filepath.Join(dir, "adir.toml.d"),
		"dangling.yml": filepath.Join(dir, "nothing-here"),
		"self.toml":    filepath.Join(dir, "self.toml"),
		"linked.toml":  filepath.Join(dir, "ok.toml"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	var set *config.Set
	var probs config.Problems
	var err error
	go func() {
		set, probs, err = Load(dir)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Load is waiting on a file")
	}
	if err != nil {
		t.Fatal(err)
	}
	kmsg := "kmsg.toml: a file of the kernel's proc file system, not a service file"
	if os.Geteuid() != 0 {
		kmsg = "kmsg.toml: cannot open: operation not permitted" // reading it needs CAP_SYSLOG
	}
	want := []string{
		"big.toml: file is larger than 65536 bytes",
		"dangling.yml: cannot open: no such file or directory",
		"dir.toml: not a regular file but a directory",
		"fifo.toml: not a regular file but a FIFO",
		kmsg,
		"null.toml: not a regular file but a character device",
		"self.toml: cannot open: too many levels of symbolic links",
	}
	got := problemLines(probs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if set.Service("ok") == nil || set.Service("linked") == nil {
		t.Errorf("the regular files (one through a symlink) were not loaded: %v", set.Services)
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("a missing directory loaded")
	}
}

// The cache parses again exactly when something in the directory changed.
func TestCacheReparsesOnlyOnChange(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.toml", "exec = \"/bin/true\"\n")
	c := &Cache{dir: dir}
	load := func(what string, wantParses int) *config.Set {
		t.Helper()
		set, _, err := c.Load()
		if err != nil {
			t.Fatal(err)
		}
		if c.parses != wantParses {
			t.Errorf("%s: %d parses, want %d", what, c.parses, wantParses)
		}
		return set
	}
	first := load("first load", 1)
	if again := load("nothing changed", 1); again != first {
		t.Errorf("nothing changed, but the Set is a new one")
	}
	write(t, dir, "a.toml", "exec = \"/bin/false\"\n") // same size
	if s := load("a file rewritten", 2); s.Service("a").Main().Exec[0] != "/bin/false" {
		t.Errorf("stale Set after a change: %v", s.Service("a").Main().Exec)
	}
	write(t, dir, "b.yaml", "exec: /bin/true\n")
	if s := load("a file added", 3); s.Service("b") == nil {
		t.Errorf("the new file is missing")
	}
	os.Remove(filepath.Join(dir, "b.yaml"))
	if s := load("a file removed", 4); s.Service("b") != nil {
		t.Errorf("the removed file is still there")
	}
	write(t, dir, "notes.txt", "not a service file")
	load("a file that is not a service file", 5) // the directory's own stamp changed
	load("nothing changed", 5)
	os.Rename(filepath.Join(dir, "a.toml"), filepath.Join(dir, "a.toml.tmp"))
	write(t, dir, "a.toml", "exec = \"/bin/false\"\n") // same name, size, contents
	load("a file replaced", 6)
}

// Concurrent callers share one parse.
func TestCacheConcurrentCallersShareOneParse(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		write(t, dir, n+".toml", "exec = \"/bin/true\"\n")
	}
	c := &Cache{dir: dir}
	var wg sync.WaitGroup
	sets := make([]*config.Set, 16)
	for i := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sets[i], _, _ = c.Load()
		}()
	}
	wg.Wait()
	if c.parses != 1 {
		t.Errorf("%d parses for %d concurrent callers, want 1", c.parses, len(sets))
	}
	for _, s := range sets {
		if s != sets[0] {
			t.Fatalf("callers got different Sets")
		}
	}
}

func TestCacheForIsShared(t *testing.T) {
	x1, x2, y := CacheFor("/x"), CacheFor("/x"), CacheFor("/y")
	if x1 != x2 || x1 == y {
		t.Errorf("CacheFor does not return one Cache per directory")
	}
}
