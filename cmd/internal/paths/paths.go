// Package paths chooses herod's and heroctl's default directories: the system's
// (/etc/hero/services, /var/lib/hero) or, with --user, the XDG base directories of the user
// (as systemd --user does for its own units and state).
package paths

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// Environment variables that override the defaults.
const (
	EnvConfigDir = "HERO_CONFIG_DIR"
	EnvStateDir  = "HERO_STATE_DIR"
)

// System defaults.
const (
	systemConfigDir = unitgen.DefaultConfigDir
	systemStateDir  = "/var/lib/hero"
)

// ConfigDir is the service config directory: $HERO_CONFIG_DIR, else /etc/hero/services, or for
// the user's herod $XDG_CONFIG_HOME/hero/services (default ~/.config/hero/services).
func ConfigDir(user bool) string {
	if d := os.Getenv(EnvConfigDir); d != "" {
		return d
	}
	if !user {
		return systemConfigDir
	}
	return filepath.Join(xdg("XDG_CONFIG_HOME", ".config"), "hero", "services")
}

// StateDir is herod's state directory (ledger, output and exit files): $HERO_STATE_DIR, else
// /var/lib/hero, or for the user's herod $XDG_STATE_HOME/hero (default ~/.local/state/hero).
func StateDir(user bool) string {
	if d := os.Getenv(EnvStateDir); d != "" {
		return d
	}
	if !user {
		return systemStateDir
	}
	return filepath.Join(xdg("XDG_STATE_HOME", filepath.Join(".local", "state")), "hero")
}

// EnvDir is where herod writes services' environment files (root-only, 0700): /run/hero-systemd/env,
// or for the user's herod $XDG_RUNTIME_DIR/hero-systemd/env (default /run/user/UID/...).
func EnvDir(user bool) string {
	if !user {
		return unitgen.DefaultEnvDir
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if !filepath.IsAbs(rt) {
		rt = filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	}
	return filepath.Join(rt, "hero-systemd", "env")
}

// LedgerFile is the job ledger's SQLite file in the state directory stateDir.
func LedgerFile(stateDir string) string { return filepath.Join(stateDir, "ledger", "jobs.db") }

// xdg is an XDG base directory: the variable if it holds an absolute path (the specification
// says relative ones are invalid and must be ignored), else $HOME/fallback.
func xdg(env, fallback string) string {
	if d := os.Getenv(env); filepath.IsAbs(d) {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// No $HOME: a relative path would depend on the working directory; "/" at least
		// names a place nobody writes by accident.
		home = "/"
	}
	return filepath.Join(home, fallback)
}

// ExecHelper is hero-exec's path (the helper some of a unit's commands run through; see
// unitgen/execspec): beside the running program (a build's bin directory, as the testbed has
// it), else where the package puts it, /usr/libexec/hero-systemd/hero-exec. herod and heroctl
// resolve it alike, so `heroctl cat` prints the unit herod creates.
func ExecHelper() string {
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		for _, p := range []string{filepath.Join(dir, "hero-exec"), filepath.Join(dir, "..", "libexec", "hero-systemd", "hero-exec")} {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return filepath.Clean(p)
			}
		}
	}
	return unitgen.DefaultExecHelper // where the package installs it
}
