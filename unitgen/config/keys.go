package config

// Key is one key of a service file. The tables below are the single description of every key:
// validation takes the keys each place accepts from them, and the hero-service(5) manual
// (ManPage) is rendered from them, so the two cannot drift apart.
type Key struct {
	Name      string // as written in the file
	Section   string // "" for the top level (and actions), "dependencies", "limits", "signal" (zinit)
	Scope     Scope  // where the key may appear
	Type      string // as the manual names it: "string", "array of strings", "duration", ...
	Default   string // what applies when the key is absent; "" when there is nothing to say
	Directive string // the systemd setting it becomes, "" when it becomes none directly
	Doc       string // one paragraph: what the key means, in the terms of what systemd does
}

// Scope says where a hero TOML key may appear.
type Scope int

const (
	ScopeService     Scope = iota // the top level only: it applies to the whole service
	ScopeCommand                  // what an action runs: the top level (a single action) or any [[actions]]
	ScopeEveryAction              // the top level (for every action) or any action, whose own entries win
	ScopeMain                     // the top level or the last action: the main process only
	ScopeSection                  // inside its section ([dependencies], [limits], zinit's signal)
	ScopeAction                   // inside [[actions]] only
)

// Hero TOML keys.
const (
	keyDescription    = "description"
	keyContext        = "context"
	keyStatus         = "status"
	keyUser           = "user"
	keyGroup          = "group"
	keyExec           = "exec"
	keyInterpreter    = "interpreter"
	keyScript         = "script"
	keyEnv            = "env"
	keyDir            = "dir"
	keyOneshot        = "oneshot"
	keyRestart        = "restart"
	keyRestartDelay   = "restart_delay"
	keyMaxRestarts    = "max_restarts"
	keyStopSignal     = "stop_signal"
	keyStopTimeout    = "stop_timeout"
	keyTimeout        = "timeout"
	keyHealth         = "health"
	keyHealthInterval = "health_interval"
	keyHealthTimeout  = "health_timeout"
	keyDependencies   = "dependencies"
	keyRequires       = "requires"
	keyWants          = "wants"
	keyAfter          = "after"
	keyConflicts      = "conflicts"
	keyLimits         = "limits"
	keyMemory         = "memory"
	keyCPU            = "cpu"
	keyTasks          = "tasks"
	keyNoFile         = "nofile"
	keyActions        = "actions"
	keyName           = "name"
)

// HeroKeys are the keys of a hero TOML file (NAME.toml), in the manual's order.
var HeroKeys = []Key{
	{Name: keyDescription, Scope: ScopeService, Type: "string", Default: `"hero service NAME"`, Directive: "Description=",
		Doc: "One line describing the service, shown by status and list-units. At most 256 bytes, no control characters, and it may not end in a backslash (a unit file would read the next line as its continuation)."},
	{Name: keyContext, Scope: ScopeService, Type: "string", Default: `"default"`, Directive: "Slice=",
		Doc: "The group the service belongs to. Its unit is hero-CONTEXT-NAME.service in the slice hero-CONTEXT.slice, so a context's services share the slice's resource accounting and limits. Lower-case letters, digits and '_' (slice names nest at '-')."},
	{Name: keyStatus, Scope: ScopeService, Type: "start | stop | ignore", Default: `"ignore"`,
		Doc: "The wanted state when herod starts: start ones are started (with what they require), running stop ones are stopped, ignore ones are left as they are."},
	{Name: keyUser, Scope: ScopeService, Type: "string", Default: "root", Directive: "User=",
		Doc: "The user every command of the service runs as (health checks and pre-actions included): a name systemd accepts in strict mode, or a numeric id."},
	{Name: keyGroup, Scope: ScopeService, Type: "string", Default: "the user's group", Directive: "Group=",
		Doc: "The group every command of the service runs as."},
	{Name: keyExec, Scope: ScopeCommand, Type: "array of strings, or string", Directive: "ExecStart=",
		Doc: "The command: an array is the argv as it is; a string is split into words as a POSIX shell splits them (quotes and backslashes), but no shell runs. The program is an absolute path or a bare name systemd looks up in its search path. Every argument reaches the program exactly as written: hero escapes '$' and '%' so that systemd expands neither."},
	{Name: keyInterpreter, Scope: ScopeCommand, Type: "string, or array of strings",
		Doc: "With script, instead of exec: an absolute path runs INTERPRETER -c SCRIPT; an array gives the flag itself, as [\"/usr/bin/python3\", \"-c\"]."},
	{Name: keyScript, Scope: ScopeCommand, Type: "string", Directive: "ExecStart=",
		Doc: "The script the interpreter runs, passed to it as one argument exactly as written. A shell script expands variables itself: this is how to use $VAR."},
	{Name: keyEnv, Scope: ScopeEveryAction, Type: "table of strings", Directive: "Environment=",
		Doc: "Environment variables, NAME = \"value\" (integers, floats and booleans are written as strings). Values reach the program exactly as written. Names systemd or hero set for the run are refused: HERO_*, INVOCATION_ID, RUNTIME_DIRECTORY and the other *_DIRECTORY variables, MAINPID, MANAGERPID, SYSTEMD_EXEC_PID, LISTEN_*, NOTIFY_SOCKET, WATCHDOG_*, JOURNAL_STREAM, LOG_NAMESPACE, SERVICE_RESULT, EXIT_CODE, EXIT_STATUS, MONITOR_*, TRIGGER_*, PIDFILE."},
	{Name: keyDir, Scope: ScopeEveryAction, Type: "absolute path", Default: "/ (the user's home under herod --user: systemd's default)", Directive: "WorkingDirectory=",
		Doc: "The working directory, normalized, without leading or trailing spaces and not ending in a backslash."},
	{Name: keyOneshot, Scope: ScopeMain, Type: "boolean", Default: "false", Directive: "Type=oneshot, RemainAfterExit=yes",
		Doc: "The main process runs to completion; the service counts as up once it exited 0, and stays up (for its dependents) until stopped."},
	{Name: keyRestart, Scope: ScopeMain, Type: "no | on-failure | always", Default: `"no"`, Directive: "Restart=",
		Doc: "When systemd restarts the main process after it ended. A oneshot service cannot restart always."},
	{Name: keyRestartDelay, Scope: ScopeMain, Type: "duration", Default: "100ms (systemd's)", Directive: "RestartSec=",
		Doc: "How long systemd waits before a restart."},
	{Name: keyMaxRestarts, Scope: ScopeMain, Type: "integer", Default: "none: systemd's start limit (5 starts in 10s) only", Directive: "StartLimitBurst= (N+1), StartLimitIntervalSec=infinity",
		Doc: "At most this many automatic restarts (1..10000) from one start: then systemd refuses the next restart (start-limit-hit) and the service stays failed until it is started again (a start resets the count). Needs restart on-failure or always. systemd 252 has no growing restart delays (RestartSteps=, 254+); hero offers none."},
	{Name: keyStopSignal, Scope: ScopeMain, Type: "signal", Default: "SIGTERM", Directive: "KillSignal=",
		Doc: "The signal that asks the service to stop: a name (SIGINT, INT) or a number 1..64."},
	{Name: keyStopTimeout, Scope: ScopeMain, Type: "duration", Default: "90s (systemd's)", Directive: "TimeoutStopSec=",
		Doc: "How long a stop waits before systemd sends SIGKILL."},
	{Name: keyTimeout, Scope: ScopeMain, Type: "duration", Default: "unlimited", Directive: "RuntimeMaxSec=",
		Doc: "The longest the service may run; systemd stops it then, as failed."},
	{Name: keyHealth, Scope: ScopeMain, Type: "array of strings, or string", Directive: "ExecStartPost=",
		Doc: "A command re-run every health_interval until it exits 0: until then the service is activating and what requires it waits. Its arguments reach it exactly as written, as exec's do. Only the last failed attempt's output is logged, under NAME-health."},
	{Name: keyHealthInterval, Scope: ScopeMain, Type: "duration", Default: "1s",
		Doc: "The pause between health attempts."},
	{Name: keyHealthTimeout, Scope: ScopeMain, Type: "duration", Default: "90s", Directive: "TimeoutStartSec= (plus 10s)",
		Doc: "How long the service may take to become healthy; then the start fails."},
	{Name: keyRequires, Section: keyDependencies, Scope: ScopeSection, Type: "array of service names", Directive: "Requires=, BindsTo=, After=",
		Doc: "Services started first, and waited for. This service cannot run without them: when one stops, crashes, is killed or enters an automatic restart, systemd stops this service too (and what requires it), and herod starts it again once the requirement is back (after systemd's own restart of it, or a heroctl start). For a dependency whose failures should not touch this service, use wants."},
	{Name: keyWants, Section: keyDependencies, Scope: ScopeSection, Type: "array of service names", Directive: "Wants=, After=",
		Doc: "Soft dependencies: started first and waited for, but their failure, stop or restarts never stop or restart this service, and a start of this service does not fail when one of them fails. A name no file defines leaves this service blocked, as after does."},
	{Name: keyAfter, Section: keyDependencies, Scope: ScopeSection, Type: "array of service names", Directive: "After=",
		Doc: "Ordering only: when both start or stop together, this one starts after them and stops before them. It never starts or stops anything by itself."},
	{Name: keyConflicts, Section: keyDependencies, Scope: ScopeSection, Type: "array of service names",
		Doc: "Services that may not run at the same time: starting either is refused while the other runs (hero checks it; nothing is stopped)."},
	{Name: keyMemory, Section: keyLimits, Scope: ScopeSection, Type: "size", Directive: "MemoryMax=",
		Doc: "The most memory the service's processes may use together: bytes, or a number with K, M, G, T (powers of 1024)."},
	{Name: keyCPU, Section: keyLimits, Scope: ScopeSection, Type: "percentage", Directive: "CPUQuota=",
		Doc: "CPU time as a percentage of one CPU: \"50%\" is half a CPU, \"200%\" two."},
	{Name: keyTasks, Section: keyLimits, Scope: ScopeSection, Type: "integer", Default: "systemd's DefaultTasksMax=", Directive: "TasksMax=",
		Doc: "The most processes and threads the service may have."},
	{Name: keyNoFile, Section: keyLimits, Scope: ScopeSection, Type: "integer", Default: "systemd's", Directive: "LimitNOFILE=",
		Doc: "The most open files per process (soft and hard limit)."},
	{Name: keyName, Section: keyActions, Scope: ScopeAction, Type: "string",
		Doc: "Each [[actions]] entry's name, unique within the file. Actions run in order: all but the last run to completion (ExecStartPre=), the last is the main process. Each takes a command and may set env and dir; the last may also set the main-process keys."},
}

// zinit YAML keys.
const (
	zKeyExec            = "exec"
	zKeyTest            = "test"
	zKeyOneshot         = "oneshot"
	zKeyAfter           = "after"
	zKeySignal          = "signal"
	zKeySignalStop      = "stop"
	zKeyLog             = "log"
	zKeyEnv             = "env"
	zKeyDir             = "dir"
	zKeyShutdownTimeout = "shutdown_timeout"
)

// ZinitKeys are the keys of a zinit YAML file (NAME.yaml), read with zinit's own meaning.
var ZinitKeys = []Key{
	{Name: zKeyExec, Scope: ScopeService, Type: "string", Directive: "ExecStart=",
		Doc: "The command, split into words as zinit splits it (shell-like quotes, no shell). Arguments reach the program exactly as written."},
	{Name: zKeyTest, Scope: ScopeService, Type: "string", Directive: "ExecStartPost=",
		Doc: "hero's health: re-run every second until it succeeds, for up to 90s."},
	{Name: zKeyOneshot, Scope: ScopeService, Type: "boolean", Default: "false", Directive: "Type=oneshot",
		Doc: "Runs to completion. A service that is not oneshot gets restart always with a 2s delay: zinit respawns it."},
	{Name: zKeyAfter, Scope: ScopeService, Type: "array of service names", Directive: "Requires=, After=",
		Doc: "zinit waits for these to be running: hero's requires. Stopping one of them also stops this service."},
	{Name: zKeySignalStop, Section: zKeySignal, Scope: ScopeSection, Type: "signal", Default: "SIGTERM", Directive: "KillSignal=",
		Doc: "The stop signal."},
	{Name: zKeyShutdownTimeout, Scope: ScopeService, Type: "integer (seconds)", Directive: "TimeoutStopSec=",
		Doc: "How long a stop waits before SIGKILL."},
	{Name: zKeyLog, Scope: ScopeService, Type: "ring | stdout | none", Default: "ring", Directive: "StandardOutput=",
		Doc: "ring and stdout send the output to the journal; none discards it."},
	{Name: zKeyEnv, Scope: ScopeService, Type: "mapping of scalars", Directive: "Environment=",
		Doc: "Environment variables; scalar values are written as strings, an empty value is an empty string."},
	{Name: zKeyDir, Scope: ScopeService, Type: "absolute path", Directive: "WorkingDirectory=",
		Doc: "The working directory."},
}

// keyNames returns the names of the keys of section that have one of scopes.
func keyNames(keys []Key, section string, scopes ...Scope) []string {
	var out []string
	for _, k := range keys {
		if k.Section != section {
			continue
		}
		for _, s := range scopes {
			if k.Scope == s {
				out = append(out, k.Name)
				break
			}
		}
	}
	return out
}

var (
	// commandKeys say what an action runs.
	commandKeys = keyNames(HeroKeys, "", ScopeCommand)
	// everyActionKeys may be set on any action.
	everyActionKeys = keyNames(HeroKeys, "", ScopeEveryAction)
	// mainOnlyKeys only make sense for the main process (the last action).
	mainOnlyKeys = keyNames(HeroKeys, "", ScopeMain)
	// serviceOnlyKeys apply to the whole service: the top level only (sections included).
	serviceOnlyKeys = append(keyNames(HeroKeys, "", ScopeService), keyDependencies, keyLimits, keyActions)
	dependencyKeys  = keyNames(HeroKeys, keyDependencies, ScopeSection)
	limitKeys       = keyNames(HeroKeys, keyLimits, ScopeSection)
	zinitKeys       = append(keyNames(ZinitKeys, "", ScopeService), zKeySignal)
	// topLevelKeys may appear at the top of a hero TOML file.
	topLevelKeys = concat(serviceOnlyKeys, commandKeys, everyActionKeys, mainOnlyKeys)
)
