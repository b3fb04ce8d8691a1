package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The manual names every key validation accepts, with its type and systemd setting.
func TestManPageNamesEveryKey(t *testing.T) {
	page := ManPage("2026-11-25", "1.0")
	for _, keys := range [][]Key{heroKeys, zinitKeyTable} {
		for _, k := range keys {
			if !strings.Contains(page, ".B "+roffQuote(k.Name)+"\n"+roffText(k.Doc)) {
				t.Errorf("key %s (%s) is not described", k.Name, k.Section)
			}
			if k.Directive != "" && !strings.Contains(page, roffLine(k.Directive)) {
				t.Errorf("key %s: its directive %s is not named", k.Name, k.Directive)
			}
		}
	}
	for _, k := range concat(topLevelKeys, dependencyKeys, limitKeys, zinitKeys) {
		if k != keyDependencies && k != keyLimits && k != keyActions && k != zKeySignal && !strings.Contains(page, ".B "+roffQuote(k)) {
			t.Errorf("accepted key %s has no entry", k)
		}
	}
}

// man(1) renders the page without a warning.
func TestManPageRenders(t *testing.T) {
	man, err := exec.LookPath("man")
	if err != nil {
		t.Skip("man(1) is not installed here")
	}
	file := filepath.Join(t.TempDir(), "hero-service.5")
	if err := os.WriteFile(file, []byte(ManPage("2026-11-25", "1.0")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(man, "--warnings=all", "-E", "UTF-8", "-l", file)
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80", "LC_ALL=C.UTF-8")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"HERO-SERVICE(5)", "restart_delay", "ZINIT YAML KEYS", "RestartSec="} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
}
