package config

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on input size, so that no file can make validation slow or the generated unit huge.
const (
	MaxFileSize        = 64 << 10 // bytes per service file
	MaxServices        = 200_000  // service files per directory
	maxNameLen         = 48       // service name; its systemd-escaped form still fits a unit name
	maxContextLen      = 32       // context name
	maxDependencies    = 256      // entries in each of requires, after, conflicts
	maxActions         = 32       // [[actions]] entries
	maxArgs            = 1024     // argv entries
	maxArgLen          = 32 << 10 // bytes per argv entry, env value or script
	maxEnv             = 256      // environment entries per action
	maxDescriptionLen  = 256      // bytes
	maxDuration        = 30 * 24 * time.Hour
	maxPathLen         = 4096
	maxUserOrGroupName = 31
)

var (
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	contextRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// systemd's valid_user_group_name() in its strict mode, plus numeric ids.
	userRe = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_-]*\$?|[0-9]+)$`)
)

// CheckName reports why s is not a valid service name, or nil. Names are the file stem:
// letters, digits, '_', '.', '-', starting with a letter or digit, at most maxNameLen bytes.
func CheckName(s string) error { return checkName("service name", s) }

// checkName is CheckName for a name of another kind (an action's name follows the same rule);
// what names the kind in the message.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty %s", what)
	case len(s) > maxNameLen:
		return fmt.Errorf("%s %q is longer than %d bytes", what, truncate(s), maxNameLen)
	case !nameRe.MatchString(s):
		return fmt.Errorf("invalid %s %q: use letters, digits, '_', '.', '-', starting with a letter or digit", what, truncate(s))
	}
	return nil
}

// CheckContext reports why s is not a valid context name, or nil. Contexts become slice names
// (hero-CONTEXT.slice), where '-' would mean nesting, so they allow lower-case letters, digits, '_'.
func CheckContext(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty context")
	case len(s) > maxContextLen:
		return fmt.Errorf("context %q is longer than %d bytes", truncate(s), maxContextLen)
	case !contextRe.MatchString(s):
		return fmt.Errorf("invalid context %q: use lower-case letters, digits and '_', starting with a letter or digit", truncate(s))
	}
	return nil
}

// parseDuration accepts Go duration strings ("20s", "1m30s", "500ms") within (0, maxDuration].
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. \"20s\", \"1m30s\")", truncate(s))
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	if d > maxDuration {
		return 0, fmt.Errorf("duration %q is longer than %s", s, maxDuration)
	}
	if d%time.Microsecond != 0 {
		return 0, fmt.Errorf("duration %q is finer than systemd's microseconds", s)
	}
	return d, nil
}

// signals are the signals a service may be stopped or killed with, by number.
var signals = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGBUS": 7,
	"SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13,
	"SIGALRM": 14, "SIGTERM": 15, "SIGSTKFLT": 16, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19,
	"SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25,
	"SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29, "SIGPWR": 30, "SIGSYS": 31,
}

// ParseSignal accepts "SIGTERM", "TERM", "sigterm" or a number 1..64 (real-time signals included)
// and returns the canonical name and number.
func ParseSignal(s string) (string, int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return "", 0, fmt.Errorf("signal number %d is out of range 1..64", n)
		}
		return SignalName(n), n, nil
	}
	up := strings.ToUpper(s)
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	if n, ok := signals[up]; ok {
		return up, n, nil
	}
	return "", 0, fmt.Errorf("unknown signal %q (use a name like SIGTERM or a number)", truncate(s))
}

// SignalName returns the name of signal n ("SIGTERM"), or its number for real-time signals.
func SignalName(n int) string {
	for name, num := range signals {
		if num == n {
			return name
		}
	}
	return strconv.Itoa(n)
}

// SignalNumber returns the number of a canonical signal name returned by ParseSignal.
func SignalNumber(name string) int {
	if n, ok := signals[name]; ok {
		return n
	}
	n, _ := strconv.Atoi(name)
	return n
}

// checkText rejects what systemd or a unit file cannot carry: invalid UTF-8, NUL, and (unless
// multiline) any control character.
func checkText(s string, multiline bool, max int) error {
	if len(s) > max {
		return fmt.Errorf("longer than %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range s {
		if r == 0 {
			return fmt.Errorf("contains a NUL byte")
		}
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// checkEnvName reports why s is not an environment variable name a service may set: systemd
// must accept it, and it may not be one that hero or systemd set for every run.
func checkEnvName(s string) error {
	if !envNameRe.MatchString(s) || len(s) > 256 {
		return fmt.Errorf("invalid environment variable name %q", truncate(s))
	}
	return checkEnvReserved(s)
}

// reservedEnv are the variables systemd sets to describe a run to its process, or to speak a
// protocol with it (systemd.exec(5), "Environment Variables in Spawned Processes"). Environment=
// is applied after them, so a service file setting one would tell the service something false
// (its runtime directory, its invocation, a socket to notify). PATH, LANG, TERM and the
// user's USER, HOME, LOGNAME, SHELL are defaults a service may well override, so they are not
// reserved.
var reservedEnv = map[string]bool{
	"INVOCATION_ID": true, "RUNTIME_DIRECTORY": true, "STATE_DIRECTORY": true, "CACHE_DIRECTORY": true,
	"LOGS_DIRECTORY": true, "CONFIGURATION_DIRECTORY": true, "CREDENTIALS_DIRECTORY": true,
	"MAINPID": true, "MANAGERPID": true, "SYSTEMD_EXEC_PID": true, "NOTIFY_SOCKET": true,
	"JOURNAL_STREAM": true, "LOG_NAMESPACE": true, "SERVICE_RESULT": true, "EXIT_CODE": true,
	"EXIT_STATUS": true, "PIDFILE": true,
}

// reservedEnvPrefixes are families of reserved variables: hero's own (HERO_SERVICE, HERO_CONTEXT),
// socket activation, the watchdog, and what OnFailure=/OnSuccess= and triggers pass on.
var reservedEnvPrefixes = []string{"HERO_", "LISTEN_", "WATCHDOG_", "MONITOR_", "TRIGGER_"}

func checkEnvReserved(s string) error {
	if strings.HasPrefix(s, "HERO_") {
		return fmt.Errorf("reserved: hero sets HERO_* variables for every run")
	}
	reserved := reservedEnv[s]
	for _, p := range reservedEnvPrefixes {
		reserved = reserved || strings.HasPrefix(s, p)
	}
	if reserved {
		return fmt.Errorf("reserved: systemd sets %s for the run (see systemd.exec(5))", s)
	}
	return nil
}

// CheckUnitLine reports why s cannot be the value of a one-line unit-file directive
// (Description=, WorkingDirectory=), which systemd reads as written: a line break would end it,
// leading and trailing blanks are stripped, and a trailing backslash continues the value on
// the next line. (systemd would take an even number of trailing backslashes as escaping each
// other, other parsers, go-systemd's among them, would not: none is allowed.)
func CheckUnitLine(s string) error {
	switch {
	case strings.ContainsAny(s, "\n\r\x00"):
		return fmt.Errorf("contains a line break or NUL")
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("has leading or trailing blanks, which a unit file drops")
	case strings.HasSuffix(s, "\\"):
		return fmt.Errorf("ends in a backslash, which a unit file reads as a line continuation")
	}
	return nil
}

// checkAbsPath: systemd refuses relative and non-normalized paths (WorkingDirectory=, files).
func checkAbsPath(p string) error {
	if err := checkText(p, false, maxPathLen); err != nil {
		return err
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q is not absolute", truncate(p))
	}
	if path.Clean(p) != p {
		return fmt.Errorf("path %q is not normalized (want %q)", truncate(p), path.Clean(p))
	}
	if err := CheckUnitLine(p); err != nil {
		return fmt.Errorf("path %q %v", truncate(p), err)
	}
	return nil
}

// checkExecutable: systemd takes an absolute path, or a bare name it searches in its own PATH;
// a relative path with a slash ("bin/x", "./x") is refused at start.
func checkExecutable(p string) error {
	if p == "" {
		return fmt.Errorf("empty program name")
	}
	if strings.Contains(p, "$") {
		return fmt.Errorf("program %q contains '$': nothing expands variables in a command (a script's shell does)", truncate(p))
	}
	if strings.HasPrefix(p, "/") {
		return checkAbsPath(p)
	}
	if strings.Contains(p, "/") {
		return fmt.Errorf("program %q is a relative path: use an absolute path or a bare name", truncate(p))
	}
	if strings.Contains(p, "=") {
		return fmt.Errorf("program %q contains '=', which would be read as a variable assignment", truncate(p))
	}
	if err := checkText(p, false, 255); err != nil {
		return err
	}
	if strings.ContainsAny(p, " \t") || p == "." || p == ".." {
		return fmt.Errorf("invalid program name %q", truncate(p))
	}
	// systemd treats these leading characters as ExecStart= prefixes.
	if strings.ContainsAny(p[:1], "@-:+!|") {
		return fmt.Errorf("program %q starts with %q, which systemd reads as a prefix", truncate(p), p[:1])
	}
	return nil
}

// checkUserOrGroup follows systemd's strict user/group name rules (or a numeric id).
func checkUserOrGroup(s string) error {
	if len(s) == 0 || len(s) > maxUserOrGroupName || !userRe.MatchString(s) {
		return fmt.Errorf("invalid user or group name %q", truncate(s))
	}
	return nil
}

// SplitWords splits s the way a POSIX shell splits words, without running a shell: quotes and
// backslashes, and a '#' starting a word starts a comment to the end of the line; no
// variables, globs or command substitution. It is also how zinit splits exec (the shlex crate):
// inside double quotes a backslash escapes only '"', '\', '$', '`' and a newline (which it
// removes), elsewhere any character (a newline: removed).
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			if end := strings.IndexByte(s[i:], '\n'); end >= 0 {
				i += end
			} else {
				i = len(s)
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("unterminated double quote")
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// parseSize accepts a byte count or a number with K, M, G, T (powers of 1024), as systemd does.
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty size")
	}
	mult := uint64(1)
	switch s[len(s)-1] {
	case 'K', 'k':
		mult = 1 << 10
	case 'M', 'm':
		mult = 1 << 20
	case 'G', 'g':
		mult = 1 << 30
	case 'T', 't':
		mult = 1 << 40
	}
	num := s
	if mult != 1 {
		num = s[:len(s)-1]
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid size %q (use e.g. \"512M\", \"2G\")", truncate(s))
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too large", truncate(s))
	}
	return n * mult, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
