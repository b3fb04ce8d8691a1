package bridge

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Environment files (see unitgen/envfile.go) hold services' variables, secrets among them:
// herod writes each, 0600 in a 0700 directory of its own user (root), atomically, before the
// unit that reads it is created, and removes the files no loaded unit reads any more
// (SweepEnvFiles).

// envFileGrace is how old a file of a unit systemd has not loaded must be before a sweep
// removes it: a start writes its units' files before it creates the units, and may take up to
// its call timeout to get there.
const envFileGrace = systemd.CallTimeout

// envFiles are the environment files of the bridge's units, in their directory, and the check
// of a service's env_file before a start.
type envFiles struct {
	dir   string
	check func(*config.Service) *config.Problem // Options.EnvFileCheck
	log   *slog.Logger
}

// write writes u's environment file (see WriteEnvFile).
func (e *envFiles) write(u *unitgen.Unit) error { return WriteEnvFile(u, e.dir) }

// WriteEnvFile writes u's environment file, when it has one, into dir (made 0700 when missing,
// and refused when anyone but this process's user owns it): to a temporary file (0600) in the
// same directory, then renamed over the name, so a unit never reads half a file. A unit of an
// older definition that systemd still holds keeps its own file until it is unloaded.
func WriteEnvFile(u *unitgen.Unit, dir string) error {
	if u.EnvFile == "" {
		return nil
	}
	if filepath.Dir(u.EnvFile) != filepath.Clean(dir) {
		return fmt.Errorf("environment file %s is not in %s", u.EnvFile, dir)
	}
	return writePrivate(dir, u.EnvFile, u.EnvContent)
}

// writeUnitText keeps u's text in dir (unitgen.TextFileName), as private as its environment
// file, since the text lists the environment's values: an apply's diff reads it back.
func writeUnitText(u *unitgen.Unit, dir string) error {
	return writePrivate(dir, filepath.Join(dir, unitgen.TextFileName(u.Name, u.Definition)), []byte(u.Text()))
}

// readUnitText is the text writeUnitText kept of unit's definition, if any.
func readUnitText(dir, unit, definition string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(dir, unitgen.TextFileName(unit, definition)))
	return string(data), err == nil
}

// writePrivate writes data to path in dir (made 0700 when missing, and refused when anyone but
// this process's user owns it): to a temporary file (0600) in the same directory, then renamed
// over the name, so a reader never sees half a file.
func writePrivate(dir, path string, data []byte) error {
	if err := privateDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*") // 0600
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// privateDir makes dir (0700) when missing, and makes sure only this process's user may enter
// it.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("environment files: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("environment files: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("environment files: %s is not a directory", dir)
	}
	if uid, ok := ownerOf(fi); !ok || uid != os.Geteuid() {
		return fmt.Errorf("environment files: %s is not owned by uid %d", dir, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("environment files: %w", err)
		}
	}
	return nil
}

// sweep removes the environment and text files of units systemd no longer has loaded (loaded
// are those it has), once they are older than envFileGrace.
func (e *envFiles) sweep(loaded map[string]bool) {
	if _, err := os.Stat(e.dir); errors.Is(err, fs.ErrNotExist) {
		return
	}
	e.remove(time.Now().Add(-envFileGrace), func(unit string) bool { return !loaded[unit] })
}

// remove removes the files last written before cutoff that obsolete says are, and leftover
// temporary files.
func (e *envFiles) remove(cutoff time.Time, obsolete func(unit string) bool) {
	dir := e.dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		e.log.Warn("listing environment files", "dir", dir, "err", err)
		return
	}
	for _, f := range entries {
		unit, _ := unitgen.EnvFileUnit(f.Name())
		if unit == "" && !strings.HasPrefix(f.Name(), ".tmp-") {
			continue
		}
		if unit != "" && !obsolete(unit) {
			continue
		}
		if fi, err := f.Info(); err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, f.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			e.log.Warn("removing an environment file", "file", f.Name(), "err", err)
		}
	}
}

// ownerOf is a file's owner.
func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// refuse refuses to start a service whose env_file fails Options.EnvFileCheck: a start of it is
// refused as for a bad-config service, before anything is started.
func (e *envFiles) refuse(s *config.Service) error {
	if e.check == nil || s.Daemon.EnvFile == "" {
		return nil
	}
	if p := e.check(s); p != nil {
		return &ConfigError{Service: s.Name, Problems: config.Problems{*p}}
	}
	return nil
}
