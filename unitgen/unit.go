// Package unitgen turns a hero service into a transient systemd unit: the D-Bus properties for
// org.freedesktop.systemd1.Manager.StartTransientUnit, and the same unit as unit-file text (what
// `heroctl cat` prints). Both come from one list of directives, so they cannot drift apart; the
// tests check each property's D-Bus type and value against the text independently.
package unitgen

import (
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// What a generated unit is: its name, its directives (a unit-file line and the D-Bus property
// that sets the same thing each), the commands of its Exec*= lines, and the names hero gives.

// Prefix starts every unit and slice hero generates, so hero never touches a unit it does not own.
const Prefix = "hero"

// UnitPattern matches the name of every service unit hero generates (systemd's pattern, as
// ListUnitsByPatterns takes it); ParseUnitName tells which of them are hero's for sure.
const UnitPattern = Prefix + "-*.service"

// Defaults for Options.
const (
	DefaultConfigDir  = "/etc/hero/services"
	DefaultExecHelper = "/usr/libexec/hero-systemd/hero-exec"
)

// UnitName is the unit of a service: hero-CONTEXT-NAME.service, with NAME escaped by systemd's
// rules (systemd-escape: '-' becomes \x2d). Contexts contain no '-', so the first '-' after the
// context separates the two and no two services can share a unit.
func UnitName(context, name string) string {
	return Prefix + "-" + context + "-" + unit.UnitNameEscape(name) + ".service"
}

// sliceName is the slice that holds a context's services: hero-CONTEXT.slice, inside hero.slice
// (systemd nests slices at '-').
func sliceName(context string) string { return Prefix + "-" + context + ".slice" }

// ParseUnitName is the inverse of UnitName; ok is false for units hero does not own.
func ParseUnitName(unitName string) (context, name string, ok bool) {
	rest, found := strings.CutPrefix(unitName, Prefix+"-")
	if !found {
		return "", "", false
	}
	rest, found = strings.CutSuffix(rest, ".service")
	if !found {
		return "", "", false
	}
	context, escaped, found := strings.Cut(rest, "-")
	if !found || config.CheckContext(context) != nil {
		return "", "", false
	}
	name = unit.UnitNameUnescape(escaped)
	if config.CheckName(name) != nil || UnitName(context, name) != unitName {
		return "", "", false
	}
	return context, name, true
}

// Options are the run-time facts a unit needs besides the service itself.
type Options struct {
	// ConfigDir is the directory the service file is in; SourcePath= points into it.
	ConfigDir string
	// ExecHelper is hero-exec's absolute path (default DefaultExecHelper): the commands that
	// cannot be Exec*= lines of their own run through it (see commands).
	ExecHelper string
	// EnvDir is where herod writes environment files (default DefaultEnvDir; see envfile.go).
	EnvDir string
}

// Unit is a generated transient unit.
type Unit struct {
	Name       string            // hero-CONTEXT-NAME.service
	Service    string            // the hero service name
	Definition string            // a digest of everything the unit says: see DefinitionVar
	Properties []sddbus.Property // for StartTransientUnit, in directive order
	// EnvFile is the environment file the unit reads its service's variables from, and
	// EnvContent what it must hold: written (root-only) before the unit is created. EnvFile is
	// "" when the service sets no variable of its own.
	EnvFile    string
	EnvContent []byte
	directives []directive
	source     string
}

// directive is one unit-file line and the D-Bus property that sets the same thing.
type directive struct {
	section  string // "Unit" or "Service"
	key      string // the unit-file key
	text     string // the unit-file value, already escaped
	prop     sddbus.Property
	comments []string // lines for people, written above it in the text
	// shownComments are the comments as WithheldText writes them (nil: none of the file's
	// values in them); shownText is its text so, when set (else decided by its key).
	shownComments []string
	shownText     string
}

// command is one Exec*= command: its argv as systemd gets it, and, when that is hero-exec, what
// hero-exec runs (shown in a comment of the unit text).
type command struct {
	argv     []string
	runs     []string      // the command hero-exec runs; nil for a plain command
	health   bool          // hero-exec runs it as a health check
	note     string        // what hero-exec does, for a command that runs nothing of the service's
	liveness []string      // the liveness check hero-exec then runs every `every`
	every    time.Duration // between liveness checks
}

// direct is argv as a plain command when systemd keeps it intact, else through hero-exec.
func direct(argv []string, helper string) command {
	if !execspec.NeedsHelper(argv) {
		return command{argv: argv}
	}
	return command{argv: []string{helper, "exec", execspec.Encode(execspec.Spec{Argv: argv})}, runs: argv}
}

// DefinitionVar names the environment variable each unit carries its definition's digest in.
// systemd keeps a stopped unit loaded while a loaded unit refers to it, and a transient unit
// cannot be created again over it: before starting such a unit as it is, the bridge reads the
// digest back and compares it with the current config's, so an old definition never runs
// silently.
const DefinitionVar = "HERO_DEFINITION"

// HealthIdentifier is the journal identifier (SYSLOG_IDENTIFIER=) of a service's health check
// lines, kept apart from the service's own.
func HealthIdentifier(service string) string { return service + "-health" }

// livenessIdentifier is the journal identifier of a service's liveness check lines.
func livenessIdentifier(service string) string { return service + "-liveness" }

// HealthGaveUp starts the line a health check writes when it gives up.
const HealthGaveUp = execspec.HealthGaveUp
