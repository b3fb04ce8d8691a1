package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

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

// capabilityNumber is the kernel's number of a canonical capability name, -1 for none.
func capabilityNumber(name string) int {
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
		if i := capabilityNumber(n); i >= 0 {
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
	d.Groups, lines = r.strList(t, "", keyGroups, maxDependencies)
	for i, g := range d.Groups {
		if err := checkUserOrGroup(g); err != nil {
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
		num := capabilityNumber(canon)
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
		return capabilityNumber(d.Capabilities[i]) < capabilityNumber(d.Capabilities[j])
	})
}

// decodeSandbox reads sandbox and writable.
func decodeSandbox(r reader, t *table, d *Daemon) {
	if p, line, ok := r.str(t, "", keySandbox); ok {
		if !contains(sandboxPresets, p) {
			r.add(line, keySandbox, "unknown preset %q: the presets are %s", truncate(p), quoteList(sandboxPresets))
		} else {
			d.Sandbox = p
		}
	}
	paths, lines := r.strList(t, "", keyWritable, maxDependencies)
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

func containsInt(list []int, n int) bool {
	for _, e := range list {
		if e == n {
			return true
		}
	}
	return false
}
