// Package config reads hero service configs (hero TOML and zinit YAML) into one validated model.
//
// It does no I/O of its own: files come in as bytes or through an fs.FS, so everything a config
// means can be computed (and tested, and fuzzed) without touching the host.
package config

import (
	"math"
	"time"
)

// Format is the syntax a service file was written in.
type Format string

const (
	FormatHero  Format = "toml"       // NAME.toml, the native form
	FormatZinit Format = "zinit-yaml" // NAME.yaml / NAME.yml, accepted as zinit writes it
)

// WantedState is what the daemon does with a service when it starts (the `status` key).
type WantedState string

const (
	WantStart  WantedState = "start"
	WantStop   WantedState = "stop"
	WantIgnore WantedState = "ignore"
)

// RestartPolicy maps one to one onto systemd's Restart=.
type RestartPolicy string

const (
	RestartNo         RestartPolicy = "no"
	RestartOnFailure  RestartPolicy = "on-failure"
	RestartOnAbnormal RestartPolicy = "on-abnormal"
	RestartAlways     RestartPolicy = "always"
)

// OutputMode says where a run's stdout and stderr go.
type OutputMode string

const (
	OutputCapture OutputMode = "capture" // appended to the job's output file, kept by the ledger
	OutputDiscard OutputMode = "discard" // /dev/null (zinit's `log: none`)
)

// Service is one validated hero service. Every field holds a value systemd accepts.
type Service struct {
	Name        string      // the file's stem; unique across the config directory
	File        string      // the source file, as named in the directory
	Format      Format      // the syntax it was written in
	Description string      // one line, no control characters
	Context     string      // the group it belongs to; maps to the slice hero-CONTEXT.slice
	Status      WantedState // wanted state at daemon start
	Requires    []string    // hard dependencies: started first; stopping one stops this service
	Wants       []string    // soft dependencies: started first; their failures and restarts never touch this service
	After       []string    // ordering only
	Conflicts   []string    // may not run at the same time; starting is blocked, nothing is stopped
	Actions     []Action    // run in order; all but the last run to completion; the last is the main process
	User        string      // the unit's User=, empty for root
	Group       string      // the unit's Group=
	Output      OutputMode  // where stdout/stderr go
	Limits      Limits      // resource limits
	Daemon      Daemon      // how the daemon's own packaged unit would run it (daemon.go)

	depLines []depLine // the line of each dependency entry, for graph problems
}

// depLine is where one dependency entry is written.
type depLine struct {
	kind, name string // "requires", "db"
	line       int
}

// depLine returns the line of a dependency entry, 0 when unknown.
func (s *Service) depLine(kind, name string) int {
	for _, d := range s.depLines {
		if d.kind == kind && d.name == name {
			return d.line
		}
	}
	return 0
}

func (s *Service) setDepLines(kind string, names []string, lines []int) {
	for i, n := range names {
		s.depLines = append(s.depLines, depLine{kind: kind, name: n, line: lines[i]})
	}
}

// Main is the service's main process: its last action.
func (s *Service) Main() *Action { return &s.Actions[len(s.Actions)-1] }

// Action is one named step of a service.
type Action struct {
	Name string
	Process
}

// Process is what systemd runs for an action, with the options that can differ per action.
type Process struct {
	Exec           []string          // argv; Exec[0] is absolute or a bare name systemd looks up in its PATH
	Env            map[string]string // extra environment
	Dir            string            // absolute working directory
	Oneshot        bool              // runs to completion; the service counts as up once it exited 0
	Restart        RestartPolicy     // main action only
	RestartDelay   time.Duration     // main action only; 0 = systemd's default (100ms)
	MaxRestarts    int               // main action only; at most this many automatic restarts; 0 = systemd's start limit only
	RestartWindow  time.Duration     // main action only, with MaxRestarts: the window restarts are counted in (StartLimitIntervalSec=); RestartForever: never forgotten
	StopSignal     string            // e.g. "SIGTERM"; main action only
	StopTimeout    time.Duration     // 0 = systemd's default
	Timeout        time.Duration     // maximum runtime; 0 = unlimited
	Health         []string          // argv re-run until it succeeds before the service counts as up
	HealthInterval time.Duration     // between health attempts
	HealthTimeout  time.Duration     // how long the service may take to become healthy
	Liveness       []string          // argv run every LivenessEvery while the service runs; LivenessFails failures in a row kill it
	LivenessEvery  time.Duration     // between liveness checks, and the longest one may take
	LivenessFails  int               // failures in a row that kill the service

	Notify bool // main action only; Type=notify: up once the service sent READY=1
	// NotifyMainOnly: only the main process may send it (NotifyAccess=main), else any
	// process of the service (NotifyAccess=all).
	NotifyMainOnly bool
	Watchdog       time.Duration // main action only; WatchdogSec=; 0 = none
	Reload         []string      // main action only; ExecReload= argv
	ReloadSignal   string        // main action only; sent to the main process by heroctl reload ("SIGHUP")
	KillMode       string        // main action only; control-group, mixed or process ("" = systemd's control-group)
	SuccessExit    SuccessExit   // main action only; SuccessExitStatus=
}

// SuccessExit is SuccessExitStatus=: exit statuses and signals that count as a clean end.
type SuccessExit struct {
	Statuses []int    // 0..255
	Signals  []string // canonical names, "SIGUSR1"
}

// Limits are the resource limits systemd enforces on the service's cgroup and processes.
type Limits struct {
	MemoryMax   uint64 // bytes; 0 = unlimited
	CPUQuotaPct uint64 // percent of one CPU; 0 = unlimited
	TasksMax    uint64 // 0 = systemd's default
	NoFile      uint64 // RLIMIT_NOFILE; 0 = systemd's default
}

// Defaults that apply where a file says nothing.
const (
	DefaultContext        = "default"
	defaultHealthInterval = time.Second
	defaultHealthTimeout  = 90 * time.Second
	maxRestartsLimit      = 10000 // the largest max_restarts
	// defaultRestartWindow is the window max_restarts counts restarts in when restart_window
	// is not set.
	defaultRestartWindow = time.Hour
	// RestartForever is restart_window = "infinity": restarts are counted until the next start.
	RestartForever          = time.Duration(math.MaxInt64)
	defaultLivenessInterval = 10 * time.Second
	defaultLivenessFailures = 3
	minLivenessInterval     = time.Second
	maxLivenessInterval     = time.Hour
	maxLivenessFailures     = 100
)

// Daemon is what a daemon's own packaged unit sets for the whole service besides its command:
// its groups and umask, its capabilities, the directories systemd makes for it, a root-owned
// environment file, and a sandbox.
type Daemon struct {
	Groups       []string // SupplementaryGroups=
	UMask        string   // four octal digits, "0027"; "" leaves systemd's default (0022)
	Capabilities []string // canonical names, in the kernel's order
	StateDir     string   // StateDirectory=, relative to /var/lib
	CacheDir     string   // CacheDirectory=, relative to /var/cache
	LogsDir      string   // LogsDirectory=, relative to /var/log
	EnvFile      string   // EnvironmentFile=, an absolute path; "" none
	EnvFileLine  int      // the line env_file is written on (its trust is checked where files are read)
	Sandbox      string   // a preset (SandboxStrict), "" none
	Writable     []string // ReadWritePaths=, absolute paths (with Sandbox)
}

// notifyMain is the notify value that accepts readiness from the main process only.
const notifyMain = "main"

// SandboxStrict is the sandbox preset of systemd's strictest settings that a network daemon
// still runs under (see unitgen's sandbox settings, and the manual's sandbox key).
const SandboxStrict = "strict"

// sandboxPresets are the names the sandbox key accepts.
var sandboxPresets = []string{SandboxStrict}

// killModes are the values of kill_mode: systemd's KillMode= but for the deprecated "none".
var killModes = []string{"control-group", "mixed", "process"}
