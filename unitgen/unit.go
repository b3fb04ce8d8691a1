// Package unitgen turns a hero service into a transient systemd unit: the D-Bus properties for
// org.freedesktop.systemd1.Manager.StartTransientUnit, and the same unit as unit-file text (what
// `heroctl cat` prints). Both come from one list of directives, so they cannot drift apart; the
// tests check each property's D-Bus type and value against the text independently.
package unitgen

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
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

// Generate builds the unit of service svc, whose dependencies are looked up in set. Every value
// reaches systemd exactly as the service file says: arguments and script text are escaped so
// that systemd expands neither variables nor specifiers in them (see builder.exec), and the
// text form escapes specifiers and quotes what needs it, so that the text describes the same
// unit as the properties.
func Generate(set *config.Set, svc *config.Service, opts Options) (*Unit, error) {
	if len(svc.Actions) == 0 {
		return nil, fmt.Errorf("generate unit for %q: service has no actions", svc.Name)
	}
	if opts.ConfigDir == "" {
		opts.ConfigDir = DefaultConfigDir
	}
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
	b := builder{}
	b.str("Unit", "Description", svc.Description)
	b.str("Unit", "SourcePath", source)
	b.units("Unit", "Requires", requires)
	b.units("Unit", "After", after)
	b.serviceType(main)
	b.str("Service", "Slice", SliceName(svc.Context))
	b.env(serviceEnv(svc, main.Env))
	for _, s := range stringSettings {
		if v := s.value(svc); v != "" {
			b.str("Service", s.key, v)
		}
	}
	// A private runtime directory per service: systemd creates it for the service's user
	// (/run/hero/NAME, or under $XDG_RUNTIME_DIR for a user manager), exports it as
	// $RUNTIME_DIRECTORY to every command (health checks included) and removes it on stop.
	b.add("Service", "RuntimeDirectory", "hero/"+svc.Name, "RuntimeDirectory", []string{"hero/" + svc.Name})
	b.commands(svc, main)
	if main.Restart != "" && main.Restart != config.RestartNo {
		b.str("Service", "Restart", string(main.Restart))
	}
	if main.StopSignal != "" {
		b.add("Service", "KillSignal", main.StopSignal, "KillSignal", int32(config.SignalNumber(main.StopSignal)))
	}
	for _, d := range durationSettings {
		b.usec(d.prop, d.key, d.value(main))
	}
	b.output(svc)
	b.limits(svc.Limits)
	// Hero's own facts, which systemd ignores in an X- section (as quadlet keeps its source keys).
	b.note("Service", svc.Name)
	b.note("Context", svc.Context)
	b.note("Format", string(svc.Format))
	if len(svc.Conflicts) > 0 {
		b.note("Conflicts", strings.Join(svc.Conflicts, " "))
	}
	if b.err != nil {
		return nil, fmt.Errorf("generate unit for %q: %w", svc.Name, b.err)
	}
	u := &Unit{Name: UnitName(svc.Context, svc.Name), Service: svc.Name, directives: b.ds, source: source}
	for _, d := range b.ds {
		if d.prop.Name != "" {
			u.Properties = append(u.Properties, d.prop)
		}
	}
	u.Properties = append(u.Properties, b.extra...)
	return u, nil
}

// stringSettings are the plain string settings of the service, each set when not empty.
var stringSettings = []struct {
	key   string
	value func(*config.Service) string
}{
	{"WorkingDirectory", func(s *config.Service) string { return s.Main().Dir }},
	{"User", func(s *config.Service) string { return s.User }},
	{"Group", func(s *config.Service) string { return s.Group }},
}

// durationSettings are the main process's time spans, each set when not zero. (The start
// timeout belongs to the health check: see commands.)
var durationSettings = []struct {
	prop, key string
	value     func(*config.Action) time.Duration
}{
	{"RestartUSec", "RestartSec", func(m *config.Action) time.Duration { return m.RestartDelay }},
	{"TimeoutStopUSec", "TimeoutStopSec", func(m *config.Action) time.Duration { return m.StopTimeout }},
	{"RuntimeMaxUSec", "RuntimeMaxSec", func(m *config.Action) time.Duration { return m.Timeout }},
}

// limitSettings are the resource limits that are plain numbers, each set when not zero.
var limitSettings = []struct {
	key   string
	value func(config.Limits) uint64
}{
	{"MemoryMax", func(l config.Limits) uint64 { return l.MemoryMax }},
	{"TasksMax", func(l config.Limits) uint64 { return l.TasksMax }},
	{"LimitNOFILE", func(l config.Limits) uint64 { return l.NoFile }},
}

// serviceType: a oneshot main process counts as up once it exited 0 and stays up for its
// dependents (RemainAfterExit=); any other is up once systemd executed it (Type=exec).
func (b *builder) serviceType(main *config.Action) {
	if main.Oneshot {
		b.str("Service", "Type", "oneshot")
		b.boolean("Service", "RemainAfterExit", true)
		return
	}
	b.str("Service", "Type", "exec")
}

// commands sets what the unit runs: the pre-actions, the main process and its health check.
func (b *builder) commands(svc *config.Service, main *config.Action) {
	var pre [][]string
	for _, a := range svc.Actions[:len(svc.Actions)-1] {
		pre = append(pre, preActionArgv(a, main))
	}
	b.exec("ExecStartPre", pre)
	b.exec("ExecStart", [][]string{main.Exec})
	if len(main.Health) > 0 {
		b.exec("ExecStartPost", [][]string{healthArgv(svc.Name, main)})
		b.usec("TimeoutStartUSec", "TimeoutStartSec", healthTimeout(main))
	}
}

// output sends stdout and stderr to the journal, where systemd itself keeps them by
// invocation: journalctl -u shows every line, and hero copies a run's tail into its job when
// it ends. No line may be rate-limited away (a crash's last words are what matter), so
// journald's per-unit limit is off for hero's units. StandardError= inherits StandardOutput=.
func (b *builder) output(svc *config.Service) {
	if svc.Output == config.OutputDiscard {
		b.str("Service", "StandardOutput", "null")
		return
	}
	b.str("Service", "StandardOutput", "journal")
	b.str("Service", "SyslogIdentifier", svc.Name)
	b.add("Service", "LogRateLimitIntervalSec", "0", "LogRateLimitIntervalUSec", uint64(0))
}

func (b *builder) limits(lim config.Limits) {
	for _, l := range limitSettings {
		if v := l.value(lim); v > 0 {
			b.add("Service", l.key, fmt.Sprint(v), l.key, v)
		}
	}
	if lim.NoFile > 0 {
		b.prop("LimitNOFILESoft", lim.NoFile) // LimitNOFILE= sets both limits in a unit file
	}
	if lim.CPUQuotaPct > 0 {
		// CPUQuota=100% is one CPU: 1s of CPU time per second.
		b.add("Service", "CPUQuota", fmt.Sprintf("%d%%", lim.CPUQuotaPct), "CPUQuotaPerSecUSec", lim.CPUQuotaPct*10_000)
	}
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
// A run is identified by systemd's own $INVOCATION_ID (a new one for every start and restart).
func serviceEnv(svc *config.Service, env map[string]string) []string {
	out := []string{"HERO_SERVICE=" + svc.Name, "HERO_CONTEXT=" + svc.Context}
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
// ExecStartPre= the unit's, which are the main action's): env -C DIR -u NAME -- NAME=VALUE...
// PROGRAM ARGS. env takes every leading NAME=VALUE word as an assignment, which is why config
// refuses programs whose name contains '='; values need no quoting, as env reads no shell.
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

// HealthIdentifier is the journal identifier (SYSLOG_IDENTIFIER=) of a service's health check
// lines, kept apart from the service's own.
func HealthIdentifier(service string) string { return service + "-health" }

// HealthGaveUp starts the line a health check writes when it gives up.
const HealthGaveUp = "health check did not pass"

// healthArgv re-runs the health command until it succeeds; systemd keeps the unit "activating"
// (and its dependents waiting) until this ExecStartPost= exits. Each attempt's output is kept in
// a variable, never logged, so retries cannot bury the service's own lines; when the health
// timeout passes, the loop gives up itself, writing the last attempt's output. systemd-cat
// gives the loop's lines an identifier of their own; it execs the loop in its own process, so
// journald attributes the lines to the unit and its invocation (the first line, written at once,
// makes journald read the process's unit while it surely runs). The command is passed as
// arguments ("$@"), never interpolated into the script; like every argument, the script's own
// '$' reach the shell as written (builder.exec escapes them for systemd).
func healthArgv(service string, p *config.Action) []string {
	timeout := formatSeconds(p.HealthTimeout)
	script := `echo "waiting up to ` + timeout + `s for the health check: $*"; ` +
		`end=$(( $(date +%s) + ` + strconv.Itoa(int(math.Ceil(p.HealthTimeout.Seconds()))) + ` )); n=1; ` +
		`until out=$("$@" 2>&1); do ` +
		`if [ "$(date +%s)" -ge "$end" ]; then ` +
		`echo "` + HealthGaveUp + ` within ` + timeout + `s ($n attempts); the last one said:"; ` +
		`printf "%s\n" "$out"; exit 1; fi; ` +
		`n=$((n + 1)); sleep ` + formatSeconds(p.HealthInterval) + `; done`
	return append([]string{"/usr/bin/systemd-cat", "-t", HealthIdentifier(service), "--",
		"/bin/sh", "-c", script, "hero-health"}, p.Health...)
}

// healthTimeout is the unit's TimeoutStartSec= with a health check: the loop gives up by itself
// at the service's health timeout; systemd's own limit is only the safety net behind it.
func healthTimeout(p *config.Action) time.Duration { return p.HealthTimeout + 10*time.Second }

func formatSeconds(d time.Duration) string {
	s := fmt.Sprintf("%.6f", d.Seconds())
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
