package unitgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// The settings a daemon's own packaged unit uses (config.Daemon and the main process's notify,
// watchdog, reload, kill_mode and success_exit_status), each with systemd's D-Bus type.

// daemon writes the service-wide settings: groups, umask, capabilities, systemd's directories
// and the sandbox.
func (b *builder) daemon(d config.Daemon) {
	b.units("Service", "SupplementaryGroups", d.Groups)
	if d.UMask != "" {
		n, _ := strconv.ParseUint(d.UMask, 8, 32)
		b.add("Service", "UMask", d.UMask, "UMask", uint32(n))
	}
	if len(d.Capabilities) > 0 {
		// Raised for the service's user in every command it runs, and the whole bounding set:
		// no process of the service, root's included, can ever hold another capability.
		caps := strings.Join(d.Capabilities, " ")
		mask := config.CapabilityMask(d.Capabilities)
		b.add("Service", "AmbientCapabilities", caps, "AmbientCapabilities", mask)
		b.add("Service", "CapabilityBoundingSet", caps, "CapabilityBoundingSet", mask)
	} else if d.Sandbox != "" {
		// No capability at all: systemd reads an empty CapabilityBoundingSet= as the empty set.
		b.add("Service", "CapabilityBoundingSet", "", "CapabilityBoundingSet", uint64(0))
	}
	// systemd creates each under its own directory (/var/lib, /var/cache, /var/log) before the
	// service starts, owned by its user and group, keeps it when it stops, exports its path
	// ($STATE_DIRECTORY, ...) and makes it writable under ProtectSystem=strict.
	for _, dir := range []struct{ key, path string }{
		{"StateDirectory", d.StateDir}, {"CacheDirectory", d.CacheDir}, {"LogsDirectory", d.LogsDir},
	} {
		if dir.path != "" {
			b.add("Service", dir.key, dir.path, dir.key, []string{dir.path})
		}
	}
	if d.Sandbox == config.SandboxStrict {
		b.sandboxStrict(d)
	}
}

// sandboxStrict writes the strict preset: systemd's sandboxing settings, those of Debian's own
// redis-server.service (systemd-analyze security: see docs/security.md) but for its paths. The
// service's own directories (RuntimeDirectory=, StateDirectory=, ...) stay writable: systemd
// exempts them from ProtectSystem=strict.
func (b *builder) sandboxStrict(d config.Daemon) {
	b.str("Service", "ProtectSystem", "strict")
	b.str("Service", "ProtectHome", "yes")
	for _, key := range []string{"PrivateTmp", "PrivateDevices", "NoNewPrivileges",
		"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
		"ProtectClock", "ProtectHostname", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
		"MemoryDenyWriteExecute", "RemoveIPC"} {
		b.boolean("Service", key, true)
	}
	if len(d.Capabilities) == 0 {
		// A user namespace of the service's own: other users' files and processes are
		// nobody's. Not with capabilities: held in that namespace only, they would not reach
		// the host's network (binding port 80 would still be refused).
		b.boolean("Service", "PrivateUsers", true)
	}
	b.str("Service", "ProtectProc", "invisible")
	// RestrictNamespaces= is the set of namespace kinds still allowed: the hostname's (UTS)
	// only, which needs CAP_SYS_ADMIN the bounding set does not hold unless capabilities says
	// so. Not none: systemd 252 writes a transient unit's empty set as an empty
	// "RestrictNamespaces=", which it reads back at the next daemon-reload as "every kind"
	// (measured; tests/integration TestDaemonKeysAsPropertiesAndText).
	b.add("Service", "RestrictNamespaces", "uts", "RestrictNamespaces", uint64(cloneNewUTS))
	b.add("Service", "RestrictAddressFamilies", strings.Join(sandboxFamilies, " "), "RestrictAddressFamilies", allowList{Allow: true, Names: sandboxFamilies})
	b.add("Service", "SystemCallArchitectures", "native", "SystemCallArchitectures", []string{"native"})
	// @system-service, less what only privileged or resource-tuning programs call; a call
	// outside the set fails with EPERM (rather than killing the process: a Go program's
	// setrlimit at start-up, say, goes on without it).
	b.add("Service", "SystemCallFilter", strings.Join(sandboxSyscalls, " "), "SystemCallFilter", allowList{Allow: true, Names: sandboxSyscalls})
	b.add("Service", "SystemCallFilter", "~"+strings.Join(sandboxDenied, " "), "SystemCallFilter", allowList{Allow: false, Names: sandboxDenied})
	b.add("Service", "SystemCallErrorNumber", "EPERM", "SystemCallErrorNumber", int32(1))
	if len(d.Writable) > 0 {
		words := make([]string, len(d.Writable))
		for i, p := range d.Writable {
			words[i] = quoteWord(p, false)
		}
		b.add("Service", "ReadWritePaths", strings.Join(words, " "), "ReadWritePaths", d.Writable)
	}
}

// cloneNewUTS is the kernel's CLONE_NEWUTS, systemd's "uts" namespace flag.
const cloneNewUTS = 0x04000000

// The sandbox's socket families and system calls.
var (
	sandboxFamilies = []string{"AF_UNIX", "AF_INET", "AF_INET6"}
	sandboxSyscalls = []string{"@system-service"}
	sandboxDenied   = []string{"@privileged", "@resources"}
)

// allowList is systemd's (bas) of RestrictAddressFamilies= and SystemCallFilter=: whether the
// names are allowed (else denied), and the names.
type allowList struct {
	Allow bool
	Names []string
}

// successExit is systemd's SuccessExitStatus D-Bus struct (aiai): exit statuses, signals.
type successExit struct {
	Statuses []int32
	Signals  []int32
}

// daemonProcess writes the main process's kill mode, watchdog and clean ends.
func (b *builder) daemonProcess(main *config.Action) {
	if main.KillMode != "" {
		b.str("Service", "KillMode", main.KillMode)
	}
	b.usec("WatchdogUSec", "WatchdogSec", main.Watchdog)
	if se := main.SuccessExit; len(se.Statuses)+len(se.Signals) > 0 {
		var v successExit
		var words []string
		for _, s := range se.Statuses {
			v.Statuses = append(v.Statuses, int32(s))
			words = append(words, strconv.Itoa(s))
		}
		for _, s := range se.Signals {
			v.Signals = append(v.Signals, int32(config.SignalNumber(s)))
			words = append(words, s)
		}
		b.add("Service", "SuccessExitStatus", strings.Join(words, " "), "SuccessExitStatus", v)
	}
}

// reloadCommand is the unit's ExecReload=: the reload command as any command is (plain, or
// through hero-exec when systemd could not keep it intact), or for a reload signal hero-exec's
// signal mode, which sends it to systemd's $MAINPID through a pidfd. (systemd 252 has no
// ReloadSignal=; the usual `/bin/kill -HUP $MAINPID` is no choice either: systemd 252 rewrites a
// transient unit's "$" at each daemon-reload, see execspec.)
func reloadCommand(main *config.Action, helper string) []command {
	switch {
	case main.Reload != nil:
		return []command{direct(main.Reload, helper)}
	case main.ReloadSignal != "":
		return []command{{argv: []string{helper, "signal", main.ReloadSignal},
			note: fmt.Sprintf("ExecReload sends %s to the main process only ($MAINPID, through hero-exec)", main.ReloadSignal)}}
	}
	return nil
}
