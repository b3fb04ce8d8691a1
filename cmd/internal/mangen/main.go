// Command mangen writes hero-systemd's manual pages (every page cmd/internal/manpage
// registers) into a directory, as NAME.SECTION roff files. packaging/deb/build.sh runs it
// with the version stamped like the binaries' and SOURCE_DATE_EPOCH (the commit's date), so
// the pages of one commit are the same whenever they are built.
//
//	go run ./cmd/internal/mangen DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hero-systemd/hero-systemd/cmd/internal/manpage"
	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mangen DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	// Flag defaults come from the environment (HERO_CONFIG_DIR...): the pages must show the
	// built-in ones, whatever the build machine has set.
	for _, env := range []string{"HERO_CONFIG_DIR", "HERO_STATE_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"} {
		os.Unsetenv(env)
	}
	date, err := sourceDate()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	meta := manpage.Meta{Version: version.String(), Date: date}
	for _, p := range manpage.Pages() {
		path := filepath.Join(dir, p.File())
		if err := os.WriteFile(path, []byte(manpage.Render(p, meta)), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		fmt.Println(path)
	}
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH's day (reproducible builds), else today.
func sourceDate() (string, error) {
	t := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		t = time.Unix(sec, 0)
	}
	return t.UTC().Format(time.DateOnly), nil
}
