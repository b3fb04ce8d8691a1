package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// journald's stream state files are read once each: a file whose modification time did not
// move is not read again (its new bytes are not seen), one whose time moved is, and a file
// journald removed is no stream any more.
func TestStreamFilesAreReadOncePerVersion(t *testing.T) {
	dir := t.TempDir()
	write := func(name, unit string, mod time.Time) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("STREAM_ID=id-"+name+"\nUNIT="+unit+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	units := func(f *streamFiles) map[string]string {
		t.Helper()
		got, err := f.open()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, st := range got {
			out[st.ID] = st.Unit
		}
		return out
	}
	t0 := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	write("8:1", "hero-default-a.service", t0)
	write("8:2", "hero-default-b.service", t0)
	f := newStreamFiles(dir)
	if got := units(f); len(got) != 2 || got["id-8:1"] != "hero-default-a.service" {
		t.Fatalf("first read: %v", got)
	}
	write("8:1", "hero-default-changed.service", t0) // same time: the cached copy stands
	if got := units(f); got["id-8:1"] != "hero-default-a.service" {
		t.Errorf("a file whose time did not move was read again: %v", got)
	}
	write("8:1", "hero-default-c.service", t0.Add(time.Nanosecond))
	if got := units(f); got["id-8:1"] != "hero-default-c.service" {
		t.Errorf("a file written again was not read again: %v", got)
	}
	if err := os.Remove(filepath.Join(dir, "8:2")); err != nil {
		t.Fatal(err)
	}
	if got := units(f); len(got) != 1 || got["id-8:2"] != "" {
		t.Errorf("after journald removed a file: %v", got)
	}
	if len(f.known) != 1 {
		t.Errorf("the cache kept %d files, want the 1 open", len(f.known))
	}
	if got, err := newStreamFiles(filepath.Join(dir, "none")).open(); err != nil || len(got) != 0 {
		t.Errorf("no directory: %v, %v", got, err)
	}
}
