// Package unitgen turns a hero service into a transient systemd unit: the D-Bus properties for
// org.freedesktop.systemd1.Manager.StartTransientUnit, and the same unit as unit-file text (what
// `heroctl cat` prints). Both come from one list of directives, so they cannot drift apart; the
// tests check each property's D-Bus type and value against the text independently.
package unitgen

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Prefix starts every unit and slice hero generates, so hero never touches a unit it does not own.
const Prefix = "hero"

// Defaults for Options.
const (
	DefaultConfigDir = "/etc/hero/services"
	DefaultStateDir  = "/var/lib/hero"
)

// UnitName is the unit of a service: hero-CONTEXT-NAME.service, with NAME escaped by systemd's
// rules (systemd-escape: '-' becomes \x2d). Contexts contain no '-', so the first '-' after the
// context separates the two and no two services can share a unit.
func UnitName(context, name string) string {
	return Prefix + "-" + context + "-" + unit.UnitNameEscape(name) + ".service"
}

// SliceName is the slice that holds a context's services: hero-CONTEXT.slice, inside hero.slice
// (systemd nests slices at '-').
func SliceName(context string) string { return Prefix + "-" + context + ".slice" }

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
	// OutputFile is where systemd appends the run's stdout and stderr (opened by systemd itself,
	// so it works for any User=). Default: /var/lib/hero/output/NAME.log.
	OutputFile string
	// ExitFile, when set, is written by an ExecStopPost= hook (run privileged, whatever User= is)
	// with "SERVICE_RESULT EXIT_CODE EXIT_STATUS" when the run ends, so the end of a run is kept
	// even if nobody was watching.
	ExitFile string
	// JobID is exported to the service as HERO_JOB_ID.
	JobID string
}

// Unit is a generated transient unit.
type Unit struct {
	Name       string            // hero-CONTEXT-NAME.service
	Service    string            // the hero service name
	Properties []sddbus.Property // for StartTransientUnit, in directive order
	directives []directive
	source     string
}

// directive is one unit-file line and the D-Bus property that sets the same thing.
type directive struct {
	section string // "Unit" or "Service"
	key     string // the unit-file key
	text    string // the unit-file value, already escaped
	prop    sddbus.Property
}

// Generate builds the unit of service svc, whose dependencies are looked up in set.
func Generate(set *config.Set, svc *config.Service, opts Options) (*Unit, error) {
	if len(svc.Actions) == 0 {
		return nil, fmt.Errorf("generate unit for %q: service has no actions", svc.Name)
	}
	if opts.ConfigDir == "" {
		opts.ConfigDir = DefaultConfigDir
	}
	name := UnitName(svc.Context, svc.Name)
	if opts.OutputFile == "" {
		opts.OutputFile = path.Join(DefaultStateDir, "output", svc.Name+".log")
	}
	b := builder{}
	unitOf := func(dep string) (string, error) {
		d := set.Service(dep)
		if d == nil {
			return "", fmt.Errorf("generate unit for %q: unknown dependency %q", svc.Name, dep)
		}
		return UnitName(d.Context, d.Name), nil
	}
	requires, err := mapUnits(svc.Requires, unitOf)
	if err != nil {
		return nil, err
	}
	after, err := mapUnits(append(append([]string(nil), svc.Requires...), svc.After...), unitOf)
	if err != nil {
		return nil, err
	}
	source := path.Join(opts.ConfigDir, svc.File)
	main := svc.Main()

	b.str("Unit", "Description", svc.Description)
	b.str("Unit", "SourcePath", source)
	b.units("Unit", "Requires", requires)
	b.units("Unit", "After", after)

	if main.Oneshot {
		b.str("Service", "Type", "oneshot")
		b.boolean("Service", "RemainAfterExit", true)
	} else {
		b.str("Service", "Type", "exec")
	}
	b.str("Service", "Slice", SliceName(svc.Context))
	b.env(serviceEnv(svc, opts.JobID, main.Env))
	if main.Dir != "" {
		b.str("Service", "WorkingDirectory", main.Dir)
	}
	if svc.User != "" {
		b.str("Service", "User", svc.User)
	}
	// A private runtime directory per service: systemd creates it for the service's user
	// (/run/hero/NAME, or under $XDG_RUNTIME_DIR for a user manager), exports it as
	// $RUNTIME_DIRECTORY to every command (health checks included) and removes it on stop.
	b.add("Service", "RuntimeDirectory", "hero/"+svc.Name, "RuntimeDirectory", []string{"hero/" + svc.Name})
	if svc.Group != "" {
		b.str("Service", "Group", svc.Group)
	}
	var pre [][]string
	for _, a := range svc.Actions[:len(svc.Actions)-1] {
		pre = append(pre, preActionArgv(a, main))
	}
	b.exec("ExecStartPre", pre, false)
	b.exec("ExecStart", [][]string{main.Exec}, false)
	if len(main.Health) > 0 {
		b.exec("ExecStartPost", [][]string{healthArgv(main)}, false)
		b.usec("TimeoutStartUSec", "TimeoutStartSec", main.HealthTimeout)
	}
	if opts.ExitFile != "" {
		b.exec("ExecStopPost", [][]string{exitHookArgv(opts.ExitFile)}, true)
	}
	if main.Restart != "" && main.Restart != config.RestartNo {
		b.str("Service", "Restart", string(main.Restart))
	}
	b.usec("RestartUSec", "RestartSec", main.RestartDelay)
	if main.StopSignal != "" {
		b.add("Service", "KillSignal", main.StopSignal, "KillSignal", int32(config.SignalNumber(main.StopSignal)))
	}
	b.usec("TimeoutStopUSec", "TimeoutStopSec", main.StopTimeout)
	b.usec("RuntimeMaxUSec", "RuntimeMaxSec", main.Timeout)
	switch svc.Output {
	case config.OutputDiscard:
		b.str("Service", "StandardOutput", "null")
	default:
		// StandardError= defaults to inherit: both streams go to the one file, interleaved.
		b.add("Service", "StandardOutput", "append:"+escapeText(opts.OutputFile), "StandardOutputFileToAppend", opts.OutputFile)
	}
	lim := svc.Limits
	if lim.MemoryMax > 0 {
		b.add("Service", "MemoryMax", fmt.Sprint(lim.MemoryMax), "MemoryMax", lim.MemoryMax)
	}
	if lim.CPUQuotaPct > 0 {
		// CPUQuota=100% is one CPU: 1s of CPU time per second.
		b.add("Service", "CPUQuota", fmt.Sprintf("%d%%", lim.CPUQuotaPct), "CPUQuotaPerSecUSec", lim.CPUQuotaPct*10_000)
	}
	if lim.TasksMax > 0 {
		b.add("Service", "TasksMax", fmt.Sprint(lim.TasksMax), "TasksMax", lim.TasksMax)
	}
	if lim.NoFile > 0 {
		b.add("Service", "LimitNOFILE", fmt.Sprint(lim.NoFile), "LimitNOFILE", lim.NoFile)
		b.prop("LimitNOFILESoft", lim.NoFile)
	}
	// Hero's own facts, which systemd ignores in an X- section (as quadlet keeps its source keys).
	b.note("Service", svc.Name)
	b.note("Context", svc.Context)
	b.note("Format", string(svc.Format))
	if len(svc.Conflicts) > 0 {
		b.note("Conflicts", strings.Join(svc.Conflicts, " "))
	}
	u := &Unit{Name: name, Service: svc.Name, directives: b.ds, source: source}
	for _, d := range b.ds {
		if d.prop.Name != "" {
			u.Properties = append(u.Properties, d.prop)
		}
	}
	u.Properties = append(u.Properties, b.extra...)
	return u, nil
}

func mapUnits(names []string, unitOf func(string) (string, error)) ([]string, error) {
	out := make([]string, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		u, err := unitOf(n)
		if err != nil {
			return nil, err
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out, nil
}

// serviceEnv is the unit's Environment=: hero's own variables, then the main action's, sorted.
func serviceEnv(svc *config.Service, jobID string, env map[string]string) []string {
	out := []string{"HERO_SERVICE=" + svc.Name, "HERO_CONTEXT=" + svc.Context}
	if jobID != "" {
		out = append(out, "HERO_JOB_ID="+jobID)
	}
	return append(out, sortedEnv(env)...)
}

func sortedEnv(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + env[k]
	}
	return out
}

// envTool runs a pre-action with its own environment and directory (systemd gives every
// ExecStartPre= the unit's, which are the main action's).
const envTool = "/usr/bin/env"

func preActionArgv(a config.Action, main *config.Action) []string {
	var opts []string
	if a.Dir != "" && a.Dir != main.Dir {
		opts = append(opts, "-C", a.Dir)
	}
	var unset []string
	for k := range main.Env {
		if _, ok := a.Env[k]; !ok {
			unset = append(unset, k)
		}
	}
	sort.Strings(unset)
	for _, k := range unset {
		opts = append(opts, "-u", k)
	}
	var set []string
	for _, kv := range sortedEnv(a.Env) {
		k, v, _ := strings.Cut(kv, "=")
		if mv, ok := main.Env[k]; !ok || mv != v {
			set = append(set, kv)
		}
	}
	if len(opts) == 0 && len(set) == 0 {
		return a.Exec
	}
	argv := append([]string{envTool}, opts...)
	argv = append(argv, "--")
	argv = append(argv, set...)
	return append(argv, a.Exec...)
}

// healthArgv re-runs the health command until it succeeds; systemd keeps the unit "activating"
// (and its dependents waiting) until this ExecStartPost= exits, within TimeoutStartSec=.
// "$$@" is systemd's escape for a literal "$@": the command is passed as arguments, never
// interpolated into the shell text.
func healthArgv(p *config.Action) []string {
	secs := formatSeconds(p.HealthInterval)
	return append([]string{"/bin/sh", "-c", `until "$$@"; do sleep ` + secs + `; done`, "hero-health"}, p.Health...)
}

// exitHookArgv records how the run ended. systemd sets SERVICE_RESULT, EXIT_CODE and
// EXIT_STATUS for ExecStopPost= and expands ${...} in each argument to exactly that argument.
func exitHookArgv(file string) []string {
	return []string{"/bin/sh", "-c", `echo "$$1 $$2 $$3" > "$$4"`, "hero-exit",
		"${SERVICE_RESULT}", "${EXIT_CODE}", "${EXIT_STATUS}", file}
}

func formatSeconds(d time.Duration) string {
	s := fmt.Sprintf("%.6f", d.Seconds())
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
