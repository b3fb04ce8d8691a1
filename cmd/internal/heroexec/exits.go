package heroexec

// Exit statuses, from systemd.exec(5)'s table of process exit codes: a command hero-exec cannot
// start fails as systemd would have reported it had it run the command itself (200 EXIT_CHDIR,
// 203 EXIT_EXEC), and hero-exec's own argument fails as what it is.
const (
	// ExitUsage: no mode hero-exec knows (the LSB's 2, EXIT_INVALIDARGUMENT).
	ExitUsage = 2
	// exitChdir: the working directory cannot be entered (EXIT_CHDIR).
	exitChdir = 200
	// exitExec: the program cannot be executed (EXIT_EXEC).
	exitExec = 203
	// exitBadSpec: the spec in the unit's command line cannot be read, or names a signal no
	// kernel has: the unit's configuration is wrong (78, the BSD EXIT_CONFIG, "configuration
	// error"), most likely written by a hero of another version. Not systemd's 208 (EXIT_STDIN:
	// standard input could not be set up), which hero-exec used before.
	exitBadSpec = 78
)

// exitSignal is hero-exec's exit status when the reload signal could not be sent.
const exitSignal = 1
