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
	scopeService     Scope = iota // the top level only: it applies to the whole service
	scopeCommand                  // what an action runs: the top level (a single action) or any [[actions]]
	scopeEveryAction              // the top level (for every action) or any action, whose own entries win
	scopeMain                     // the top level or the last action: the main process only
	scopeSection                  // inside its section ([dependencies], [limits], zinit's signal)
	scopeAction                   // inside [[actions]] only
)

// Hero TOML keys.
const (
	keyDescription = "description"
	keyContext     = "context"
	keyStatus      = "status"
	keyUser        = "user"
	keyGroup       = "group"
	// Keys of a daemon run the way its own packaged unit runs it (daemon.go).
	keyGroups            = "groups"
	keyUMask             = "umask"
	keyCapabilities      = "capabilities"
	keyStateDir          = "state_dir"
	keyCacheDir          = "cache_dir"
	keyLogsDir           = "logs_dir"
	keyEnvFile           = "env_file"
	keySandbox           = "sandbox"
	keyWritable          = "writable"
	keyNotify            = "notify"
	keyWatchdog          = "watchdog"
	keyReload            = "reload"
	keyReloadSignal      = "reload_signal"
	keyKillMode          = "kill_mode"
	keySuccessExitStatus = "success_exit_status"
	keyExec              = "exec"
	keyInterpreter       = "interpreter"
	keyScript            = "script"
	keyEnv               = "env"
	keyDir               = "dir"
	keyOneshot           = "oneshot"
	keyRestart           = "restart"
	keyRestartDelay      = "restart_delay"
	keyMaxRestarts       = "max_restarts"
	keyRestartWindow     = "restart_window"
	keyStopSignal        = "stop_signal"
	keyStopTimeout       = "stop_timeout"
	keyTimeout           = "timeout"
	keyHealth            = "health"
	keyHealthInterval    = "health_interval"
	keyHealthTimeout     = "health_timeout"
	keyLiveness          = "liveness"
	keyLivenessEvery     = "liveness_interval"
	keyLivenessFails     = "liveness_failures"
	keyDependencies      = "dependencies"
	keyRequires          = "requires"
	keyWants             = "wants"
	keyAfter             = "after"
	keyConflicts         = "conflicts"
	keyLimits            = "limits"
	keyMemory            = "memory"
	keyCPU               = "cpu"
	keyTasks             = "tasks"
	keyNoFile            = "nofile"
	keyActions           = "actions"
	keyName              = "name"
)

// heroKeys are the keys of a hero TOML file (NAME.toml), in the manual's order.
var heroKeys = []Key{
	{Name: keyDescription, Scope: scopeService, Type: "string", Default: `"hero service NAME"`, Directive: "Description=",
		Doc: "One line describing the service, shown by status and list-units. At most 256 bytes, no control characters, and it may not end in a backslash (a unit file would read the next line as its continuation)."},
	{Name: keyContext, Scope: scopeService, Type: "string", Default: `"default"`, Directive: "Slice=",
		Doc: "The group the service belongs to. Its unit is hero-CONTEXT-NAME.service in the slice hero-CONTEXT.slice, so a context's services share the slice's resource accounting and limits. Lower-case letters, digits and '_' (slice names nest at '-')."},
	{Name: keyStatus, Scope: scopeService, Type: "start | stop | ignore", Default: `"ignore"`,
		Doc: "The wanted state when herod starts: start ones are started (with what they require), running stop ones are stopped, ignore ones are left as they are."},
	{Name: keyUser, Scope: scopeService, Type: "string", Default: "root", Directive: "User=",
		Doc: "The user every command of the service runs as (health checks and pre-actions included): a name systemd accepts in strict mode, or a numeric id."},
	{Name: keyGroup, Scope: scopeService, Type: "string", Default: "the user's group", Directive: "Group=",
		Doc: "The group every command of the service runs as."},
	{Name: keyGroups, Scope: scopeService, Type: "array of strings", Directive: "SupplementaryGroups=",
		Doc: "Supplementary groups every command of the service runs with, beside its group: names systemd accepts in strict mode, or numeric ids."},
	{Name: keyUMask, Scope: scopeService, Type: "octal string", Default: "0022 (systemd's)", Directive: "UMask=",
		Doc: "The file mode creation mask of every command, as an octal string of up to four digits: \"0027\" makes new files unreadable to others."},
	{Name: keyCapabilities, Scope: scopeService, Type: "array of capability names", Directive: "AmbientCapabilities=, CapabilityBoundingSet=",
		Doc: "Linux capabilities the service's processes get without being root, as CAP_NET_BIND_SERVICE (bind a port below 1024): systemd raises them as ambient capabilities for the service's user, and they are the whole bounding set, so no process of the service (root's included) can ever hold another. Names are the kernel's (capabilities(7)), CAP_CHOWN to CAP_CHECKPOINT_RESTORE."},
	{Name: keyStateDir, Scope: scopeService, Type: "relative path", Directive: "StateDirectory=",
		Doc: "A directory under /var/lib (under herod --user: ~/.local/state) that systemd creates before the service starts, owned by its user and group, and keeps when it stops; its path is $STATE_DIRECTORY. A relative path of names made of letters, digits, '_', '.', '-' and '@' (no '.' or '..' as a name), as \"redis\" or \"myapp/data\". Writable under sandbox."},
	{Name: keyCacheDir, Scope: scopeService, Type: "relative path", Directive: "CacheDirectory=",
		Doc: "As state_dir, under /var/cache (~/.cache): $CACHE_DIRECTORY."},
	{Name: keyLogsDir, Scope: scopeService, Type: "relative path", Directive: "LogsDirectory=",
		Doc: "As state_dir, under /var/log (~/.local/state/log): $LOGS_DIRECTORY."},
	{Name: keyEnvFile, Scope: scopeService, Type: "absolute path", Directive: "EnvironmentFile=",
		Doc: "A file of NAME=VALUE lines that systemd (as root) reads each time a command of the service starts, so secrets can stay in a root-only file instead of the config. It must exist, and, like a service file, neither it nor a directory on its way may be writable by anyone but root (or herod --user's own user): herod checks it when it reads the configs. Its values reach the program as systemd parses that file (systemd.exec(5), EnvironmentFile=: quotes, backslash escapes and line continuations are systemd's), not byte for byte as env does, and hero neither reads nor checks the names it sets. A name set both here and in env takes this file's value, as EnvironmentFile= overrides Environment= in systemd. A change of the file applies at the service's next start; apply does not see it."},
	{Name: keySandbox, Scope: scopeService, Type: "strict", Directive: "ProtectSystem=strict, ProtectHome=, PrivateTmp=, PrivateDevices=, PrivateUsers=, NoNewPrivileges=, SystemCallFilter=@system-service, ...",
		Doc: "A named preset of systemd's sandboxing settings, set together: those of Debian's own redis-server.service. \"strict\" (the only preset): the whole file system read-only (ProtectSystem=strict) but for the service's own runtime, state, cache and logs directories and the writable paths; /home, /root and /run/user inaccessible (ProtectHome=yes); a private /tmp (PrivateTmp=yes) and /dev without devices (PrivateDevices=yes); a user namespace of its own, where other users are nobody (PrivateUsers=yes; not with capabilities, which would then not reach the host's network); no privilege gained through setuid files (NoNewPrivileges=yes); kernel tunables, modules, logs, the clock, the hostname and control groups protected (ProtectKernelTunables=, ProtectKernelModules=, ProtectKernelLogs=, ProtectClock=, ProtectHostname=, ProtectControlGroups=); other users' processes invisible (ProtectProc=invisible); no realtime scheduling, setuid files or namespaces but the hostname's (RestrictRealtime=, RestrictSUIDSGID=, RestrictNamespaces=uts: systemd 252 forgets an empty namespace list of a transient unit at its next daemon-reload); sockets of the families AF_UNIX, AF_INET and AF_INET6 only (RestrictAddressFamilies=); no personality changes (LockPersonality=yes); no memory both writable and executable (MemoryDenyWriteExecute=yes: this breaks just-in-time compilers, as node, the JVM, PyPy or LuaJIT use, so such a service cannot take this preset); System V IPC objects removed at stop (RemoveIPC=yes); native system calls of systemd's @system-service set only, less @privileged and @resources, a refused call failing with EPERM (SystemCallArchitectures=native, SystemCallFilter=, SystemCallErrorNumber=EPERM); and no capability but those of capabilities (CapabilityBoundingSet=). Programs still run as the service's user. An unknown preset name is an error."},
	{Name: keyWritable, Scope: scopeService, Type: "array of absolute paths", Directive: "ReadWritePaths=",
		Doc: "With sandbox: paths the service may write besides its own directories. Each must exist when the service starts (else the start fails with 226/NAMESPACE), and cannot open a path under /home, /root or /run/user."},
	{Name: keyExec, Scope: scopeCommand, Type: "array of strings, or string", Directive: "ExecStart=",
		Doc: "The command: an array is the argv as it is; a string is split into words as a POSIX shell splits them (quotes and backslashes), but no shell runs. The program is an absolute path or a bare name systemd looks up in its search path. Every argument reaches the program exactly as written: hero escapes '$' and '%' so that systemd expands neither."},
	{Name: keyInterpreter, Scope: scopeCommand, Type: "string, or array of strings",
		Doc: "With script, instead of exec: an absolute path runs INTERPRETER -c SCRIPT; an array gives the flag itself, as [\"/usr/bin/python3\", \"-c\"]."},
	{Name: keyScript, Scope: scopeCommand, Type: "string", Directive: "ExecStart=",
		Doc: "The script the interpreter runs, passed to it as one argument exactly as written. A shell script expands variables itself: this is how to use $VAR."},
	{Name: keyEnv, Scope: scopeEveryAction, Type: "table of strings", Directive: "Environment=",
		Doc: "Environment variables, NAME = \"value\" (integers, floats and booleans are written as strings). Values reach the program exactly as written. Names systemd or hero set for the run are refused: HERO_*, INVOCATION_ID, RUNTIME_DIRECTORY and the other *_DIRECTORY variables, MAINPID, MANAGERPID, SYSTEMD_EXEC_PID, LISTEN_*, NOTIFY_SOCKET, WATCHDOG_*, JOURNAL_STREAM, LOG_NAMESPACE, SERVICE_RESULT, EXIT_CODE, EXIT_STATUS, MONITOR_*, TRIGGER_*, PIDFILE."},
	{Name: keyDir, Scope: scopeEveryAction, Type: "absolute path", Default: "/ (the user's home under herod --user: systemd's default)", Directive: "WorkingDirectory=",
		Doc: "The working directory, normalized, without leading or trailing spaces and not ending in a backslash."},
	{Name: keyOneshot, Scope: scopeMain, Type: "boolean", Default: "false", Directive: "Type=oneshot, RemainAfterExit=yes",
		Doc: "The main process runs to completion; the service counts as up once it exited 0, and stays up (for its dependents) until stopped."},
	{Name: keyNotify, Scope: scopeMain, Type: "boolean, or \"main\"", Default: "false", Directive: "Type=notify, NotifyAccess=all (main)",
		Doc: "The service tells systemd itself when it is ready, by sending READY=1 over sd_notify(3) (PostgreSQL and Redis do): until then it is activating, what requires it waits, and heroctl start does not return. With true, the main process or any other process of the service may send it (a script's systemd-notify, a helper the daemon runs); with \"main\", only the main process, as Debian's own units have it (systemd-analyze security counts a service whose every process may change its state as more exposed). The start fails when no READY=1 comes within systemd's start timeout (90s). Not with oneshot."},
	{Name: keyWatchdog, Scope: scopeMain, Type: "duration", Directive: "WatchdogSec=",
		Doc: "With notify: the service must send WATCHDOG=1 at least this often once ready; when a ping is late, systemd kills it with SIGABRT and the run ends failed, with result watchdog (restart decides what follows)."},
	{Name: keyRestart, Scope: scopeMain, Type: "no | on-failure | on-abnormal | always", Default: `"no"`, Directive: "Restart=",
		Doc: "When systemd restarts the main process after it ended: on-failure after an unclean exit status, a signal, a timeout or a missed watchdog; on-abnormal after a signal, a timeout or a missed watchdog, but not after an exit status (a daemon that exits 1 on a bad config is not restarted in a loop). A oneshot service cannot restart always."},
	{Name: keyRestartDelay, Scope: scopeMain, Type: "duration", Default: "100ms (systemd's)", Directive: "RestartSec=",
		Doc: "How long systemd waits before a restart."},
	{Name: keyMaxRestarts, Scope: scopeMain, Type: "integer", Default: "none: systemd's start limit (5 starts in 10s) only", Directive: "StartLimitBurst= (N+1)",
		Doc: "At most this many automatic restarts (1..10000) within restart_window: then systemd refuses the next restart (start-limit-hit) and the service stays failed until it is started again (a start resets the count). Needs restart on-failure or always. systemd 252 has no growing restart delays (RestartSteps=, 254+); hero offers none."},
	{Name: keyRestartWindow, Scope: scopeMain, Type: "duration, or \"infinity\"", Default: "1h (with max_restarts)", Directive: "StartLimitIntervalSec=",
		Doc: "The window max_restarts counts restarts in. systemd counts starts in windows: a window opens at a start and lasts restart_window; within it at most max_restarts + 1 starts (the first and max_restarts restarts) pass, the next is refused; the first start after the window opens a new one. So crashes spread over time never add up to the cap, and a crash loop stops at it. \"infinity\" never forgets a restart until the next start. Needs max_restarts."},
	{Name: keyStopSignal, Scope: scopeMain, Type: "signal", Default: "SIGTERM", Directive: "KillSignal=",
		Doc: "The signal that asks the service to stop: a name (SIGINT, INT) or a number 1..64."},
	{Name: keyKillMode, Scope: scopeMain, Type: "control-group | mixed | process", Default: `"control-group"`, Directive: "KillMode=",
		Doc: "Which processes a stop signals: control-group, every process of the service at once; mixed, the main process only with stop_signal (it stops its children itself, as PostgreSQL recommends), then SIGKILL to whatever is left at stop_timeout; process, the main process only, leaving the others running (rarely right)."},
	{Name: keySuccessExitStatus, Scope: scopeMain, Type: "array of exit statuses (0..255) and signal names", Directive: "SuccessExitStatus=",
		Doc: "Exit statuses and signals that count as a clean end of the main process besides exit 0 and SIGHUP, SIGINT, SIGTERM, SIGPIPE: a Java service's 143 (\"killed\" by SIGTERM through its own handler), say. Such an end is recorded as success, and restart = \"on-failure\" does not restart it."},
	{Name: keyReload, Scope: scopeMain, Type: "array of strings, or string", Directive: "ExecReload=",
		Doc: "The command heroctl reload runs to make the service read its configuration again without a restart, as [\"/usr/sbin/nginx\", \"-s\", \"reload\"]. It runs as the service's user, with its environment, and must end before the reload counts as done; its arguments reach it exactly as written, as exec's do ($MAINPID is not expanded: use reload_signal to signal the main process). Not with reload_signal."},
	{Name: keyReloadSignal, Scope: scopeMain, Type: "signal", Directive: "ExecReload= (hero-exec signal)",
		Doc: "The signal heroctl reload sends to the main process (only to it), as SIGHUP for PostgreSQL. systemd 252 has no ReloadSignal= (it came in 253, for Type=notify-reload only), so hero's helper hero-exec sends it as the reload command: to systemd's $MAINPID, through a pidfd, so a PID reused meanwhile is never signalled. Not with reload, nor oneshot."},
	{Name: keyStopTimeout, Scope: scopeMain, Type: "duration", Default: "90s (systemd's)", Directive: "TimeoutStopSec=",
		Doc: "How long a stop waits before systemd sends SIGKILL."},
	{Name: keyTimeout, Scope: scopeMain, Type: "duration", Default: "unlimited", Directive: "RuntimeMaxSec=",
		Doc: "The longest the service may run; systemd stops it then, as failed."},
	{Name: keyHealth, Scope: scopeMain, Type: "array of strings, or string", Directive: "ExecStartPost=",
		Doc: "A command re-run every health_interval until it exits 0: until then the service is activating and what requires it waits. Its arguments reach it exactly as written, as exec's do. Only the last failed attempt's output is logged, under NAME-health."},
	{Name: keyHealthInterval, Scope: scopeMain, Type: "duration", Default: "1s",
		Doc: "The pause between health attempts."},
	{Name: keyHealthTimeout, Scope: scopeMain, Type: "duration", Default: "90s", Directive: "TimeoutStartSec= (plus 10s)",
		Doc: "How long the service may take to become healthy; then the start fails."},
	{Name: keyLiveness, Scope: scopeMain, Type: "array of strings, or string", Directive: "WatchdogSec=, WatchdogSignal=SIGKILL, NotifyAccess=all, ExecStartPost=",
		Doc: "A command run every liveness_interval for as long as the service runs (after health passed, if set), with exactly the service's user, environment and sandbox; a run that takes longer than liveness_interval counts as failed. After liveness_failures failures in a row, systemd's watchdog kills the service (SIGKILL: a stopped or hung process dies too) with result watchdog, and its restart policy applies (restart = \"no\": it stays failed). It needs no herod: hero-exec, left in the service's cgroup, runs the checks and feeds systemd's watchdog. While checks fail, status shows the service unhealthy and how the check failed (its exit status, a signal or a timeout: systemd's StatusText, which every local user may read); what the check printed is logged under NAME-liveness, readable as the service's output is. Its arguments reach it exactly as written. Not for a oneshot service."},
	{Name: keyLivenessEvery, Scope: scopeMain, Type: "duration", Default: "10s",
		Doc: "The pause between liveness checks, and the longest one may take (1s..1h). The unit's WatchdogSec= is (liveness_failures + 1) × liveness_interval + 5s: systemd's own limit behind the checks, should hero-exec's loop itself die."},
	{Name: keyLivenessFails, Scope: scopeMain, Type: "integer", Default: "3",
		Doc: "How many liveness checks in a row must fail before the service is killed (1..100)."},
	{Name: keyRequires, Section: keyDependencies, Scope: scopeSection, Type: "array of service names", Directive: "Requires=, BindsTo=, After=",
		Doc: "Services started first, and waited for. This service cannot run without them: when one stops, crashes, is killed, enters an automatic restart or fails its liveness check, systemd stops this service too (and what requires it), and herod starts it again once all it requires runs again, however long the outage and however many attempts it takes (systemd's own restarts, a heroctl or systemctl start after its start limit, a restart of herod meanwhile). A stop on purpose (heroctl stop of either, or systemctl stop of the requirement) is final. For a dependency whose failures should not touch this service, use wants."},
	{Name: keyWants, Section: keyDependencies, Scope: scopeSection, Type: "array of service names", Directive: "Wants=, After=",
		Doc: "Soft dependencies: started first and waited for, but their failure, stop or restarts never stop or restart this service, and a start of this service does not fail when one of them fails or cannot start (heroctl start names it in a warning and exits 0, as systemctl does for Wants= and docker compose for depends_on with required: false). A name no file defines is a warning of validate's: the service starts without it."},
	{Name: keyAfter, Section: keyDependencies, Scope: scopeSection, Type: "array of service names", Directive: "After=",
		Doc: "Ordering only: when both start or stop together, this one starts after them and stops before them. It never starts or stops anything by itself."},
	{Name: keyConflicts, Section: keyDependencies, Scope: scopeSection, Type: "array of service names",
		Doc: "Services that may not run at the same time: starting either is refused while the other runs (hero checks it; nothing is stopped)."},
	{Name: keyMemory, Section: keyLimits, Scope: scopeSection, Type: "size", Directive: "MemoryMax=",
		Doc: "The most memory the service's processes may use together: bytes, or a number with K, M, G, T (powers of 1024)."},
	{Name: keyCPU, Section: keyLimits, Scope: scopeSection, Type: "percentage", Directive: "CPUQuota=",
		Doc: "CPU time as a percentage of one CPU: \"50%\" is half a CPU, \"200%\" two."},
	{Name: keyTasks, Section: keyLimits, Scope: scopeSection, Type: "integer", Default: "systemd's DefaultTasksMax=", Directive: "TasksMax=",
		Doc: "The most processes and threads the service may have."},
	{Name: keyNoFile, Section: keyLimits, Scope: scopeSection, Type: "integer", Default: "systemd's", Directive: "LimitNOFILE=",
		Doc: "The most open files per process (soft and hard limit)."},
	{Name: keyName, Section: keyActions, Scope: scopeAction, Type: "string",
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

// zinitKeyTable are the keys of a zinit YAML file (NAME.yaml), read with zinit's own meaning.
var zinitKeyTable = []Key{
	{Name: zKeyExec, Scope: scopeService, Type: "string", Directive: "ExecStart=",
		Doc: "The command, split into words as zinit splits it (shell-like quotes, no shell). Arguments reach the program exactly as written."},
	{Name: zKeyTest, Scope: scopeService, Type: "string", Directive: "ExecStartPost=",
		Doc: "hero's health: re-run every second until it succeeds, for up to 90s."},
	{Name: zKeyOneshot, Scope: scopeService, Type: "boolean", Default: "false", Directive: "Type=oneshot",
		Doc: "Runs to completion. A service that is not oneshot gets restart always with a 2s delay: zinit respawns it."},
	{Name: zKeyAfter, Scope: scopeService, Type: "array of service names", Directive: "Requires=, After=",
		Doc: "zinit waits for these to be running: hero's requires. Stopping one of them also stops this service."},
	{Name: zKeySignalStop, Section: zKeySignal, Scope: scopeSection, Type: "signal", Default: "SIGTERM", Directive: "KillSignal=",
		Doc: "The stop signal."},
	{Name: zKeyShutdownTimeout, Scope: scopeService, Type: "integer (seconds)", Directive: "TimeoutStopSec=",
		Doc: "How long a stop waits before SIGKILL."},
	{Name: zKeyLog, Scope: scopeService, Type: "ring | stdout | none", Default: "ring", Directive: "StandardOutput=",
		Doc: "ring and stdout send the output to the journal; none discards it."},
	{Name: zKeyEnv, Scope: scopeService, Type: "mapping of scalars", Directive: "Environment=",
		Doc: "Environment variables; scalar values are written as strings, an empty value is an empty string."},
	{Name: zKeyDir, Scope: scopeService, Type: "absolute path", Directive: "WorkingDirectory=",
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
	commandKeys = keyNames(heroKeys, "", scopeCommand)
	// everyActionKeys may be set on any action.
	everyActionKeys = keyNames(heroKeys, "", scopeEveryAction)
	// mainOnlyKeys only make sense for the main process (the last action).
	mainOnlyKeys = keyNames(heroKeys, "", scopeMain)
	// serviceOnlyKeys apply to the whole service: the top level only (sections included).
	serviceOnlyKeys = append(keyNames(heroKeys, "", scopeService), keyDependencies, keyLimits, keyActions)
	dependencyKeys  = keyNames(heroKeys, keyDependencies, scopeSection)
	limitKeys       = keyNames(heroKeys, keyLimits, scopeSection)
	zinitKeys       = append(keyNames(zinitKeyTable, "", scopeService), zKeySignal)
	// topLevelKeys may appear at the top of a hero TOML file.
	topLevelKeys = concat(serviceOnlyKeys, commandKeys, everyActionKeys, mainOnlyKeys)
)

// dependencyKey names the config key a graph problem comes from, in the file's own format.
func dependencyKey(f Format, kind string) string {
	if kind == "" {
		return ""
	}
	if f == FormatZinit {
		return zKeyAfter // zinit's after is the only dependency key, read as requires
	}
	return keyDependencies + "." + kind
}
