package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

// NotifyMain is the notify value that accepts readiness from the main process only.
const NotifyMain = "main"

// SandboxStrict is the sandbox preset of systemd's strictest settings that a network daemon
// still runs under (see unitgen's sandbox settings, and the manual's sandbox key).
const SandboxStrict = "strict"

// SandboxPresets are the names the sandbox key accepts.
var SandboxPresets = []string{SandboxStrict}

// KillModes are the values of kill_mode: systemd's KillMode= but for the deprecated "none".
var KillModes = []string{"control-group", "mixed", "process"}

// Capabilities are the kernel's capability names, by number (include/uapi/linux/capability.h,
// capabilities(7)), as systemd 252 and 257 know them.
var Capabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// CapabilityNumber is the kernel's number of a canonical capability name, -1 for none.
func CapabilityNumber(name string) int {
	for i, c := range Capabilities {
		if c == name {
			return i
		}
	}
	return -1
}

// CapabilityMask is the bit set of canonical capability names, as systemd's D-Bus properties
// (AmbientCapabilities, CapabilityBoundingSet) carry it.
func CapabilityMask(names []string) uint64 {
	var m uint64
	for _, n := range names {
		if i := CapabilityNumber(n); i >= 0 {
			m |= 1 << uint(i)
		}
	}
	return m
}

// dirNameRe is one name of a state, cache or logs directory: what systemd's path checks
// accept, without blanks, quotes or specifier characters that a unit file would read otherwise.
var dirNameRe = regexp.MustCompile(`^[A-Za-z0-9_@.-]+$`)

// checkDirName reports why p cannot be a StateDirectory=-like path: it must be relative,
// normalized, and made of plain names.
func checkDirName(p string) error {
	if p == "" {
		return fmt.Errorf("is empty")
	}
	if len(p) > 255 {
		return fmt.Errorf("%q is longer than 255 bytes", truncate(p))
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must be relative: it names a directory under systemd's own (/var/lib for state_dir), not an absolute path", truncate(p))
	}
	for _, part := range strings.Split(p, "/") {
		switch {
		case part == "":
			return fmt.Errorf("%q has an empty name (a doubled or trailing '/')", truncate(p))
		case part == "." || part == "..":
			return fmt.Errorf("%q may not contain %q", truncate(p), part)
		case !dirNameRe.MatchString(part):
			return fmt.Errorf("%q: use names of letters, digits, '_', '.', '-' and '@' separated by '/'", truncate(p))
		}
	}
	return nil
}

// parseUMask reads an umask written as an octal string of 1 to 4 digits ("027", "0027").
func parseUMask(s string) (string, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || len(s) > 4 || n > 0o777 {
		return "", fmt.Errorf("must be an octal string of up to four digits, like \"0027\", not %q", truncate(s))
	}
	return fmt.Sprintf("%04o", n), nil
}

// decodeDaemon reads the service-wide keys of Daemon.
func decodeDaemon(r reader, t *table, s *Service) {
	d := &s.Daemon
	var lines []int
	d.Groups, lines = r.strList(t, "", keyGroups, MaxDependencies)
	for i, g := range d.Groups {
		if err := CheckUserOrGroup(g); err != nil {
			r.add(lines[i], keyGroups, "%v", err)
		}
	}
	if u, line, ok := r.str(t, "", keyUMask); ok {
		var err error
		if d.UMask, err = parseUMask(u); err != nil {
			r.add(line, keyUMask, "%v", err)
		}
	}
	decodeCapabilities(r, t, d)
	for _, dir := range []struct {
		key string
		dst *string
	}{{keyStateDir, &d.StateDir}, {keyCacheDir, &d.CacheDir}, {keyLogsDir, &d.LogsDir}} {
		if v, line, ok := r.str(t, "", dir.key); ok {
			if err := checkDirName(v); err != nil {
				r.add(line, dir.key, "%v", err)
			} else {
				*dir.dst = v
			}
		}
	}
	if f, line, ok := r.str(t, "", keyEnvFile); ok {
		if err := checkAbsPath(f); err != nil {
			r.add(line, keyEnvFile, "%v", err)
		} else {
			d.EnvFile, d.EnvFileLine = f, line
		}
	}
	decodeSandbox(r, t, d)
}

// decodeCapabilities reads capabilities: the kernel's names, in any case, each once.
func decodeCapabilities(r reader, t *table, d *Daemon) {
	names, lines := r.strList(t, "", keyCapabilities, len(Capabilities))
	seen := map[int]bool{}
	for i, n := range names {
		canon := strings.ToUpper(n)
		if !strings.HasPrefix(canon, "CAP_") {
			canon = "CAP_" + canon
		}
		num := CapabilityNumber(canon)
		if num < 0 {
			hint := ""
			lower := make([]string, len(Capabilities))
			for i, c := range Capabilities {
				lower[i] = strings.ToLower(c)
			}
			if c := closest(canon, lower); c != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", strings.ToUpper(c))
			}
			r.add(lines[i], keyCapabilities, "unknown capability %q%s: the kernel's are CAP_CHOWN .. CAP_CHECKPOINT_RESTORE (capabilities(7))", truncate(n), hint)
			continue
		}
		if !seen[num] {
			seen[num] = true
			d.Capabilities = append(d.Capabilities, canon)
		}
	}
	sort.Slice(d.Capabilities, func(i, j int) bool {
		return CapabilityNumber(d.Capabilities[i]) < CapabilityNumber(d.Capabilities[j])
	})
}

// decodeSandbox reads sandbox and writable.
func decodeSandbox(r reader, t *table, d *Daemon) {
	if p, line, ok := r.str(t, "", keySandbox); ok {
		if !contains(SandboxPresets, p) {
			r.add(line, keySandbox, "unknown preset %q: the presets are %s", truncate(p), quoteList(SandboxPresets))
		} else {
			d.Sandbox = p
		}
	}
	paths, lines := r.strList(t, "", keyWritable, MaxDependencies)
	for i, p := range paths {
		if err := checkAbsPath(p); err != nil {
			r.add(lines[i], keyWritable, "%v", err)
			continue
		}
		d.Writable = append(d.Writable, p)
	}
	if v, ok := t.get(keyWritable); ok && d.Sandbox == "" {
		if _, has := t.get(keySandbox); !has {
			r.add(v.line, keyWritable, "has no effect without sandbox: without one, the service may write wherever its user may")
		}
	}
}

// quoteList writes names as "a", "b" or "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// notify reads notify and watchdog (after oneshot, which excludes them).
func (k procKeys) notify(p *Process) {
	if tt, pre := k.lookup(keyNotify); tt != nil {
		v := tt.val(keyNotify)
		switch x := v.v.(type) {
		case bool:
			p.Notify = x
		case string:
			if x != NotifyMain {
				k.r.add(v.line, join(pre, keyNotify), "must be true, false or \"main\", not %q", truncate(x))
			} else {
				p.Notify, p.NotifyMainOnly = true, true
			}
		default:
			k.r.add(v.line, join(pre, keyNotify), "must be true, false or \"main\", not %s", typeName(v.v))
		}
		if p.Notify && p.Oneshot {
			k.r.add(tt.val(keyNotify).line, join(pre, keyNotify), "a oneshot service is up when it exited 0; it cannot also tell its readiness (Type=notify and Type=oneshot exclude each other)")
		}
	}
	if tt, pre := k.lookup(keyWatchdog); tt != nil {
		p.Watchdog, _ = k.r.duration(tt, pre, keyWatchdog)
		if !p.Notify {
			k.r.add(tt.val(keyWatchdog).line, join(pre, keyWatchdog), "needs notify = true: the watchdog is kept alive by the service's WATCHDOG=1 messages over sd_notify")
		}
	}
}

// reload reads reload and reload_signal.
func (k procKeys) reload(p *Process) {
	if tt, pre := k.lookup(keyReload); tt != nil {
		p.Reload, _ = k.r.argv(tt, pre, keyReload)
	}
	tt, pre := k.lookup(keyReloadSignal)
	if tt == nil {
		return
	}
	sig, line, ok := k.r.str(tt, pre, keyReloadSignal)
	if !ok {
		return
	}
	name, _, err := ParseSignal(sig)
	switch {
	case err != nil:
		k.r.add(line, join(pre, keyReloadSignal), "%v", err)
	case p.Reload != nil:
		k.r.add(line, join(pre, keyReloadSignal), "use either reload (a command) or reload_signal, not both")
	case p.Oneshot:
		k.r.add(line, join(pre, keyReloadSignal), "a oneshot service has no main process left to signal")
	default:
		p.ReloadSignal = name
	}
}

// killMode reads kill_mode.
func (k procKeys) killMode(p *Process) {
	if tt, pre := k.lookup(keyKillMode); tt != nil {
		if m, line, ok := k.r.str(tt, pre, keyKillMode); ok {
			if !contains(KillModes, m) {
				k.r.add(line, join(pre, keyKillMode), "must be %s, not %q", quoteList(KillModes), truncate(m))
			} else {
				p.KillMode = m
			}
		}
	}
}

// successExit reads success_exit_status: exit statuses 0..255 and signal names.
func (k procKeys) successExit(p *Process) {
	tt, pre := k.lookup(keySuccessExitStatus)
	if tt == nil {
		return
	}
	v := tt.val(keySuccessExitStatus)
	key := join(pre, keySuccessExitStatus)
	arr, isArr := v.v.([]value)
	if !isArr {
		k.r.add(v.line, key, "must be an array of exit statuses and signal names, like [143, \"SIGUSR1\"], not %s", typeName(v.v))
		return
	}
	for i, e := range arr {
		switch x := e.v.(type) {
		case int64:
			if x < 0 || x > 255 {
				k.r.add(e.line, key, "exit status %d is out of range 0..255", x)
			} else if !containsInt(p.SuccessExit.Statuses, int(x)) {
				p.SuccessExit.Statuses = append(p.SuccessExit.Statuses, int(x))
			}
		case string:
			name, _, err := ParseSignal(x)
			if err != nil {
				k.r.add(e.line, key, "%v", err)
			} else if !contains(p.SuccessExit.Signals, name) {
				p.SuccessExit.Signals = append(p.SuccessExit.Signals, name)
			}
		default:
			k.r.add(e.line, fmt.Sprintf("%s[%d]", key, i), "must be an exit status or a signal name, not %s", typeName(e.v))
		}
	}
}

func containsInt(list []int, n int) bool {
	for _, e := range list {
		if e == n {
			return true
		}
	}
	return false
}
