package unitgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// Generate builds the unit of service svc, whose dependencies are looked up in set. Every value
// reaches systemd exactly as the service file says: arguments and script text are escaped so
// that systemd expands neither variables nor specifiers in them (see builder.exec), and the
// text form escapes specifiers and quotes what needs it, so that the text describes the same
// unit as the properties.
func Generate(set *config.Set, svc *config.Service, opts Options) (*Unit, error) {
	if len(svc.Actions) == 0 {
		return nil, fmt.Errorf("generate unit for %q: service has no actions", svc.Name)
	}
	opts = opts.withDefaults()
	deps, err := dependencyUnits(set, svc)
	if err != nil {
		return nil, err
	}
	source := path.Join(opts.ConfigDir, svc.File)
	main := svc.Main()
	pre, preEnv := preActions(svc, main, opts.ExecHelper)
	vars := fileEnv(main.Env, preEnv)
	b := builder{envContent: envFile(vars)}
	b.str("Unit", "Description", svc.Description)
	b.str("Unit", "SourcePath", source)
	b.dependencies(deps)
	b.serviceType(main)
	b.str("Service", "Slice", sliceName(svc.Context))
	b.env(serviceEnv(svc))
	b.envDirective(vars, svc.Daemon.EnvFile)
	for _, s := range stringSettings {
		if v := s.value(svc); v != "" {
			b.str("Service", s.key, v)
		}
	}
	// A private runtime directory per service: systemd creates it for the service's user
	// (/run/hero/NAME, or under $XDG_RUNTIME_DIR for a user manager), exports it as
	// $RUNTIME_DIRECTORY to every command (health checks included) and removes it on stop.
	b.add("Service", "RuntimeDirectory", "hero/"+svc.Name, "RuntimeDirectory", []string{"hero/" + svc.Name})
	b.daemon(svc.Daemon)
	b.commands(svc, main, pre, len(preEnv) > 0, opts.ExecHelper)
	b.mainProcess(main)
	b.daemonProcess(main)
	b.output(svc)
	b.limits(svc.Limits)
	b.heroNotes(svc)
	if b.err != nil {
		return nil, fmt.Errorf("generate unit for %q: %w", svc.Name, b.err)
	}
	return b.unit(svc, source, opts.EnvDir), nil
}

// withDefaults fills in the options left empty.
func (o Options) withDefaults() Options {
	if o.ConfigDir == "" {
		o.ConfigDir = DefaultConfigDir
	}
	if o.ExecHelper == "" {
		o.ExecHelper = DefaultExecHelper
	}
	if o.EnvDir == "" {
		o.EnvDir = DefaultEnvDir
	}
	return o
}

// depUnits are the units a service's dependencies name, by the directive they go into.
type depUnits struct {
	requires, wants, after []string
}

// dependencyUnits maps svc's dependencies to their units; every one must be in set.
func dependencyUnits(set *config.Set, svc *config.Service) (depUnits, error) {
	unitOf := func(dep string) (string, error) {
		d := set.Service(dep)
		if d == nil {
			return "", fmt.Errorf("generate unit for %q: unknown dependency %q", svc.Name, dep)
		}
		return UnitName(d.Context, d.Name), nil
	}
	var deps depUnits
	var err error
	if deps.requires, err = mapUnits(svc.Requires, unitOf); err != nil {
		return deps, err
	}
	// A wants entry no file defines is left out: the service starts without it (a warning of
	// validate's), as systemd starts a unit whose Wants= names a missing one.
	wants := definedOnly(set, svc.Wants)
	if deps.wants, err = mapUnits(wants, unitOf); err != nil {
		return deps, err
	}
	deps.after, err = mapUnits(concatNames(svc.Requires, wants, svc.After), unitOf)
	return deps, err
}

// definedOnly returns the names of names that set defines.
func definedOnly(set *config.Set, names []string) []string {
	var out []string
	for _, n := range names {
		if set.Service(n) != nil {
			out = append(out, n)
		}
	}
	return out
}

// dependencies writes the [Unit] dependency directives.
func (b *builder) dependencies(deps depUnits) {
	b.units("Unit", "Requires", deps.requires)
	// BindsTo= stops this service whenever a requirement leaves the active state, also when it
	// crashes or enters an automatic restart (Requires= propagates only requested stops); herod
	// starts it again when the requirement is back. Requires= stays: it names the hard
	// dependency for anything that reads only Requires=.
	b.units("Unit", "BindsTo", deps.requires)
	b.units("Unit", "Wants", deps.wants)
	b.units("Unit", "After", deps.after)
}

// mainProcess writes what governs the main process: restarts, their cap, the stop signal and
// the timeouts.
func (b *builder) mainProcess(main *config.Action) {
	if main.Restart != "" && main.Restart != config.RestartNo {
		b.str("Service", "Restart", string(main.Restart))
	}
	if main.MaxRestarts > 0 {
		// systemd counts every start against StartLimitBurst= within a window that opens at a
		// start and lasts StartLimitIntervalSec=: the first start and N restarts are N+1; the
		// first start after the window opens a new one; an infinite window never forgets, and
		// hero's own start resets the count (ResetFailedUnit).
		b.add("Unit", "StartLimitBurst", strconv.Itoa(main.MaxRestarts+1), "StartLimitBurst", uint32(main.MaxRestarts+1))
		if main.RestartWindow == config.RestartForever || main.RestartWindow == 0 {
			b.add("Unit", "StartLimitIntervalSec", "infinity", "StartLimitIntervalUSec", uint64(math.MaxUint64))
		} else {
			w := main.RestartWindow
			b.add("Unit", "StartLimitIntervalSec", formatTimespan(w), "StartLimitIntervalUSec", uint64(w/time.Microsecond))
		}
	}
	if main.StopSignal != "" {
		b.add("Service", "KillSignal", main.StopSignal, "KillSignal", int32(config.SignalNumber(main.StopSignal)))
	}
	for _, d := range durationSettings {
		b.usec(d.prop, d.key, d.value(main))
	}
}

// heroNotes writes hero's own facts, which systemd ignores, in an X- section (as quadlet keeps
// its source keys).
func (b *builder) heroNotes(svc *config.Service) {
	b.note("Service", svc.Name)
	b.note("Context", svc.Context)
	b.note("Format", string(svc.Format))
	if len(svc.Conflicts) > 0 {
		b.note("Conflicts", strings.Join(svc.Conflicts, " "))
	}
}

// unit assembles the built directives into the unit of svc, stamped with its definition.
func (b *builder) unit(svc *config.Service, source, envDir string) *Unit {
	u := &Unit{Name: UnitName(svc.Context, svc.Name), Service: svc.Name, source: source}
	u.Definition = b.stampDefinition()
	if len(b.envContent) > 0 {
		u.EnvFile, u.EnvContent = b.setEnvFile(envDir, u.Name, u.Definition), b.envContent
	}
	u.directives = b.ds
	for _, d := range b.ds {
		if d.prop.Name != "" {
			u.Properties = append(u.Properties, d.prop)
		}
	}
	u.Properties = append(u.Properties, b.extra...)
	return u
}

// stampDefinition computes the digest of every property so far and of the environment file's
// content, and adds it to Environment=.
func (b *builder) stampDefinition() string {
	h := sha256.New()
	fmt.Fprintf(h, "EnvironmentFile\x00%s\x00", b.envContent)
	for _, d := range b.ds {
		if d.prop.Name != "" {
			fmt.Fprintf(h, "%s\x00%s\x00%#v\x00", d.prop.Name, d.prop.Value.Signature(), d.prop.Value.Value())
		}
	}
	for _, p := range b.extra {
		fmt.Fprintf(h, "%s\x00%s\x00%#v\x00", p.Name, p.Value.Signature(), p.Value.Value())
	}
	digest := hex.EncodeToString(h.Sum(nil))[:16]
	for i, d := range b.ds {
		if d.prop.Name == "Environment" {
			env := append(d.prop.Value.Value().([]string), DefinitionVar+"="+digest)
			b.ds[i].text += " " + quoteWord(DefinitionVar+"="+digest, true)
			b.ds[i].prop = sddbus.Property{Name: "Environment", Value: dbus.MakeVariant(env)}
		}
	}
	return digest
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
// dependents (RemainAfterExit=); a notify one once it sent READY=1, from any process of the
// service (NotifyAccess=all: a daemon may notify from a helper it runs, a script through
// systemd-notify) or, with notify = "main", from the main process only; any other once systemd
// executed it (Type=exec).
func (b *builder) serviceType(main *config.Action) {
	switch {
	case main.Oneshot:
		b.str("Service", "Type", "oneshot")
		b.boolean("Service", "RemainAfterExit", true)
	case main.Notify:
		b.str("Service", "Type", "notify")
		access := "all"
		if main.NotifyMainOnly {
			access = "main"
		}
		b.str("Service", "NotifyAccess", access)
	default:
		b.str("Service", "Type", "exec")
	}
}

// commands sets what the unit runs: the pre-actions, the main process, its health check and its
// reload (see reloadCommand).
//
// A command runs through hero-exec (helper) when systemd cannot be trusted with it as an Exec*=
// line of its own: systemd 252 writes a transient unit's arguments to its file with "$" and ";"
// escaped in a way its own reader does not undo, so after a daemon-reload (every package install
// runs one) such an argument would reach the program changed (see unitgen/execspec). hero-exec
// gets the command as one base64url argument, which systemd keeps as it is, and execs it
// exactly. Commands with neither character, by far the most, are plain Exec*= lines. A
// pre-action with its own environment or directory, and every health check, always go through
// hero-exec; so does the main process when a pre-action has variables of its own (hero-exec
// removes their carriers, PreEnvPrefix, from its environment).
func (b *builder) commands(svc *config.Service, main *config.Action, pre []command, preEnv bool, helper string) {
	b.exec("ExecStartPre", pre)
	mainCmd := direct(main.Exec, helper)
	if preEnv && mainCmd.runs == nil {
		mainCmd = command{argv: []string{helper, "exec", execspec.Encode(execspec.Spec{Argv: main.Exec})}, runs: main.Exec}
	}
	b.exec("ExecStart", []command{mainCmd})
	b.startPost(svc, main, helper)
	reload := reloadCommand(main, helper)
	if preEnv && main.Reload != nil && reload[0].runs == nil {
		// Through hero-exec, which removes the pre-actions' carriers, as for the main process.
		reload = []command{{argv: []string{helper, "exec", execspec.Encode(execspec.Spec{Argv: main.Reload})}, runs: main.Reload}}
	}
	b.exec("ExecReload", reload)
}

// startPost sets the ExecStartPost= of a health check, a liveness check, or both: hero-exec
// runs the health check, then leaves the liveness loop behind (see watchdog).
func (b *builder) startPost(svc *config.Service, main *config.Action, helper string) {
	if len(main.Health) == 0 && len(main.Liveness) == 0 {
		return
	}
	h := execspec.Health{Argv: main.Health, Interval: main.HealthInterval, Timeout: main.HealthTimeout,
		Identifier: HealthIdentifier(svc.Name)}
	post := command{runs: main.Health, health: len(main.Health) > 0}
	if len(main.Liveness) > 0 {
		h.Liveness = &execspec.Liveness{Argv: main.Liveness, Interval: main.LivenessEvery, Failures: main.LivenessFails,
			Identifier: livenessIdentifier(svc.Name)}
		post.liveness, post.every = main.Liveness, main.LivenessEvery
	}
	post.argv = []string{helper, "health", execspec.Encode(h)}
	b.exec("ExecStartPost", []command{post})
	if len(main.Health) > 0 {
		b.usec("TimeoutStartUSec", "TimeoutStartSec", healthTimeout(main))
	}
	if len(main.Liveness) > 0 {
		b.watchdog(main)
	}
}

// watchdog lets the liveness loop hero-exec leaves in the service's cgroup feed systemd's
// watchdog: NotifyAccess=all (the loop is neither the main nor a control process), and
// WatchdogSec= long enough for liveness_failures - 1 failed checks, each up to an interval,
// before a check that passes (the loop itself asks the watchdog to act at the last failure,
// WATCHDOG=trigger; this limit only stands behind a loop that died). WatchdogSignal=SIGKILL: the
// default SIGABRT stays pending in a stopped (SIGSTOP) or hung process until the abort timeout.
func (b *builder) watchdog(main *config.Action) {
	if !main.Notify { // notify = true set NotifyAccess=all already (serviceType)
		b.str("Service", "NotifyAccess", "all")
	}
	b.usec("WatchdogUSec", "WatchdogSec", watchdogTimeout(main))
	b.add("Service", "WatchdogSignal", "SIGKILL", "WatchdogSignal", int32(config.SignalNumber("SIGKILL")))
}

// watchdogTimeout is the WatchdogSec= of a service with a liveness check:
// (liveness_failures + 1) × liveness_interval + 5s.
func watchdogTimeout(p *config.Action) time.Duration {
	return time.Duration(p.LivenessFails+1)*p.LivenessEvery + 5*time.Second
}

// preActions is the command of every pre-action, and the variables that carry the pre-actions'
// own environments (PreEnvPrefix) in the environment file.
func preActions(svc *config.Service, main *config.Action, helper string) ([]command, map[string]string) {
	var pre []command
	env := map[string]string{}
	for i, a := range svc.Actions[:len(svc.Actions)-1] {
		c, own := preAction(a, main, helper, preEnvVar(i))
		if own != nil {
			env[preEnvVar(i)] = execspec.Encode(own)
		}
		pre = append(pre, c)
	}
	return pre, env
}

// output sends stdout and stderr to the journal, where systemd itself keeps them by
// invocation: journalctl -u shows every line, and hero copies a run's tail into its job when
// it ends. No line may be rate-limited away (a crash's last words are what matter). systemd
// 252 passes a unit's LogRateLimitIntervalSec= on to journald only when it is not 0, and its
// LogRateLimitBurst= only when that is not 0, so "off" is a burst no service reaches:
// journaldBurst lines per interval (journald scales a burst by up to 28/4 with the free disk
// space, in 32 bits: this one cannot overflow). StandardError= inherits StandardOutput=.
func (b *builder) output(svc *config.Service) {
	if svc.Output == config.OutputDiscard {
		b.str("Service", "StandardOutput", "null")
		return
	}
	b.str("Service", "StandardOutput", "journal")
	b.str("Service", "SyslogIdentifier", svc.Name)
	b.add("Service", "LogRateLimitIntervalSec", "0", "LogRateLimitIntervalUSec", uint64(0))
	b.add("Service", "LogRateLimitBurst", strconv.Itoa(journaldBurst), "LogRateLimitBurst", uint32(journaldBurst))
}

// journaldBurst is the per-unit burst of lines journald lets through per rate-limit interval.
const journaldBurst = 100_000_000

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

// serviceEnv is the unit's Environment=: hero's own variables only (the service's own are in
// its environment file: see envfile.go). A run is identified by systemd's own $INVOCATION_ID
// (a new one for every start and restart).
func serviceEnv(svc *config.Service) []string {
	return []string{"HERO_SERVICE=" + svc.Name, "HERO_CONTEXT=" + svc.Context}
}

// preAction is a pre-action's command. systemd gives every ExecStartPre= the unit's environment
// and directory, which are the main action's; a pre-action with its own runs through hero-exec,
// which sets them (variables the main action has and this one does not are removed). Its own
// variables are returned, to be carried by envVar in the environment file (never in the unit:
// see envfile.go); hero-exec reads them from there.
func preAction(a config.Action, main *config.Action, helper, envVar string) (command, map[string]string) {
	spec := execspec.Spec{Argv: a.Exec}
	if a.Dir != "" && a.Dir != main.Dir {
		spec.Dir = a.Dir
	}
	for k := range main.Env {
		if _, ok := a.Env[k]; !ok {
			spec.Unset = append(spec.Unset, k)
		}
	}
	sort.Strings(spec.Unset)
	var own map[string]string
	for k, v := range a.Env {
		if mv, ok := main.Env[k]; !ok || mv != v {
			if own == nil {
				own = map[string]string{}
			}
			own[k] = v
		}
	}
	if own != nil {
		spec.EnvFrom = envVar
	}
	if spec.Dir == "" && len(spec.Unset) == 0 && own == nil {
		return direct(a.Exec, helper), nil
	}
	return command{argv: []string{helper, "exec", execspec.Encode(spec)}, runs: a.Exec}, own
}

// healthTimeout is the unit's TimeoutStartSec= with a health check: the loop gives up by itself
// at the service's health timeout; systemd's own limit is only the safety net behind it.
func healthTimeout(p *config.Action) time.Duration { return p.HealthTimeout + 10*time.Second }

// concatNames joins lists of names into a new slice.
func concatNames(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
