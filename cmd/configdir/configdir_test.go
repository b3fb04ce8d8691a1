package configdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func TestLoadFSSkipsNonServiceFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"web.toml":      {Data: []byte("exec = \"/bin/true\"\n")},
		"README.md":     {Data: []byte("# not a service")},
		".web.toml.swp": {Data: []byte("junk")},
		"sub/x.toml":    {Data: []byte("junk")},
	}
	set, probs, err := LoadFS(fsys)
	if err != nil || len(probs) != 0 {
		t.Fatalf("LoadFS: %v %v", err, probs)
	}
	if len(set.Services) != 1 || set.Services[0].Name != "web" {
		t.Fatalf("services %v, want [web]", set.Services)
	}
}

func TestLoadReportsTooLargeAndMissing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.toml"), []byte(strings.Repeat("#", config.MaxFileSize+1)), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.toml"), []byte("exec = \"/bin/true\"\n"), 0o644)
	set, probs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 1 || probs[0].String() != "big.toml: file is larger than 65536 bytes" {
		t.Errorf("problems %v", probs)
	}
	if set.Service("ok") == nil {
		t.Errorf("the valid service was not loaded")
	}
	if _, _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("a missing directory loaded")
	}
}
