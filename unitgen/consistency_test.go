package unitgen_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// textOf decodes one D-Bus property, independently of the generator, into the unit-file
// directive that must say the same thing, and checks its D-Bus signature.
func textOf(t *testing.T, name string, sig string, v any) (section, key string, lines []string) {
	t.Helper()
	want := func(s string) {
		if sig != s {
			t.Errorf("property %s has D-Bus type %s, systemd wants %s", name, sig, s)
		}
	}
	specifier := func(s string) string { return strings.ReplaceAll(s, "%", "%%") }
	switch name {
	case "Description", "SourcePath":
		want("s")
		return "Unit", name, []string{specifier(v.(string))}
	case "Requires", "BindsTo", "Wants", "After":
		want("as")
		return "Unit", name, []string{strings.Join(v.([]string), " ")}
	case "Type", "Slice", "WorkingDirectory", "User", "Group", "Restart", "StandardOutput", "SyslogIdentifier",
		"NotifyAccess", "KillMode", "ProtectSystem", "ProtectHome", "ProtectProc":
		want("s")
		return "Service", name, []string{specifier(v.(string))}
	case "RemainAfterExit", "PrivateTmp", "PrivateDevices", "NoNewPrivileges", "ProtectKernelTunables",
		"ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
		"RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute", "RemoveIPC", "PrivateUsers":
		want("b")
		return "Service", name, []string{map[bool]string{true: "yes", false: "no"}[v.(bool)]}
	case "RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory", "SupplementaryGroups",
		"SystemCallArchitectures", "ReadWritePaths":
		want("as")
		return "Service", name, []string{"WORDS:" + strings.Join(v.([]string), "\x00")}
	case "UMask":
		want("u")
		return "Service", name, []string{fmt.Sprintf("%04o", v.(uint32))}
	case "AmbientCapabilities", "CapabilityBoundingSet":
		want("t")
		var caps []string
		for i, c := range config.Capabilities {
			if v.(uint64)&(1<<uint(i)) != 0 {
				caps = append(caps, c)
			}
		}
		return "Service", name, []string{"WORDS:" + strings.Join(caps, "\x00")}
	case "RestrictNamespaces":
		want("t")
		if v.(uint64) != 0x04000000 {
			t.Errorf("RestrictNamespaces=%#x: hero allows the UTS namespace (CLONE_NEWUTS) only", v)
		}
		return "Service", name, []string{"uts"}
	case "RestrictAddressFamilies", "SystemCallFilter":
		want("(bas)")
		l := v.(unitgen.AllowListForTest)
		prefix := "WORDS:"
		if !l.Allow {
			prefix = "WORDS:~"
		}
		return "Service", name, []string{prefix + strings.Join(l.Names, "\x00")}
	case "SystemCallErrorNumber":
		want("i")
		names := map[int32]string{1: "EPERM"}
		return "Service", name, []string{names[v.(int32)]}
	case "SuccessExitStatus":
		want("(aiai)")
		se := v.(unitgen.SuccessExitForTest)
		var words []string
		for _, n := range se.Statuses {
			words = append(words, strconv.Itoa(int(n)))
		}
		for _, n := range se.Signals {
			words = append(words, "SIG:"+strconv.Itoa(int(n)))
		}
		return "Service", name, []string{"WORDS:" + strings.Join(words, "\x00")}
	case "Environment":
		want("as")
		return "Service", name, []string{"ENV:" + strings.Join(v.([]string), "\x00")}
	case "EnvironmentFiles":
		want("a(sb)")
		var out []string
		for _, f := range v.([]unitgen.EnvFileEntryForTest) {
			if f.Optional {
				t.Errorf("%s: the environment file %s is optional: a missing file would run the service without its variables", name, f.Path)
			}
			out = append(out, specifier(f.Path))
		}
		return "Service", "EnvironmentFile", out
	case "RestartUSec", "TimeoutStopUSec", "RuntimeMaxUSec", "TimeoutStartUSec", "LogRateLimitIntervalUSec", "WatchdogUSec":
		want("t")
		return "Service", strings.TrimSuffix(name, "USec") + "Sec", []string{"USEC:" + strconv.FormatUint(v.(uint64), 10)}
	case "StartLimitBurst":
		want("u")
		return "Unit", name, []string{strconv.FormatUint(uint64(v.(uint32)), 10)}
	case "LogRateLimitBurst":
		want("u")
		return "Service", name, []string{strconv.FormatUint(uint64(v.(uint32)), 10)}
	case "StartLimitIntervalUSec":
		want("t")
		if v.(uint64) == math.MaxUint64 {
			return "Unit", "StartLimitIntervalSec", []string{"infinity"}
		}
		return "Unit", "StartLimitIntervalSec", []string{"USEC:" + strconv.FormatUint(v.(uint64), 10)}
	case "KillSignal", "WatchdogSignal":
		want("i")
		return "Service", name, []string{"SIG:" + strconv.Itoa(int(v.(int32)))}
	case "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload":
		want("a(sasb)")
		var out []string
		for _, c := range v.([]unitgen.ExecCommandForTest) {
			if c.Path != c.Argv[0] {
				t.Errorf("%s path %q differs from argv[0] %q", name, c.Path, c.Argv[0])
			}
			out = append(out, "ARGV:"+strings.Join(c.Argv, "\x00"))
		}
		return "Service", name, out
	case "MemoryMax", "TasksMax", "LimitNOFILE":
		want("t")
		return "Service", name, []string{strconv.FormatUint(v.(uint64), 10)}
	case "LimitNOFILESoft":
		want("t")
		return "", "", nil // folded into LimitNOFILE= in unit files
	case "CPUQuotaPerSecUSec":
		want("t")
		return "Service", "CPUQuota", []string{strconv.FormatUint(v.(uint64)/10_000, 10) + "%"}
	}
	t.Errorf("property %s is not known to the consistency check", name)
	return "", "", nil
}

// normalize turns a text value into the comparable form textOf produces.
func normalize(t *testing.T, section, key, val string) string {
	switch {
	case key == "Environment":
		return "ENV:" + strings.Join(systemdWords(t, val), "\x00")
	case wordKeys[key]:
		return "WORDS:" + strings.Join(systemdWords(t, val), "\x00")
	case key == "SuccessExitStatus":
		var words []string
		for _, w := range strings.Fields(val) {
			if _, err := strconv.Atoi(w); err != nil {
				_, n, err := config.ParseSignal(w)
				if err != nil {
					t.Errorf("SuccessExitStatus=%s: %v", val, err)
				}
				w = "SIG:" + strconv.Itoa(n)
			}
			words = append(words, w)
		}
		return "WORDS:" + strings.Join(words, "\x00")
	case strings.HasSuffix(key, "Sec") && (section == "Service" || key == "StartLimitIntervalSec" && val != "infinity"):
		d, err := time.ParseDuration(val)
		if err != nil {
			t.Errorf("%s=%s: %v", key, val, err)
		}
		return "USEC:" + strconv.FormatInt(d.Microseconds(), 10)
	case key == "KillSignal" || key == "WatchdogSignal":
		_, n, err := config.ParseSignal(val)
		if err != nil {
			t.Errorf("KillSignal=%s: %v", val, err)
		}
		return "SIG:" + strconv.Itoa(n)
	case strings.HasPrefix(key, "Exec"):
		prefix := ""
		if strings.HasPrefix(val, "+") {
			prefix, val = "+", val[1:]
		}
		return prefix + "ARGV:" + strings.Join(systemdWords(t, val), "\x00")
	}
	return val
}

// wordKeys are the settings whose value is a list of words (systemd's extract_first_word with
// quotes), compared word by word.
var wordKeys = map[string]bool{"RuntimeDirectory": true, "StateDirectory": true, "CacheDirectory": true,
	"LogsDirectory": true, "SupplementaryGroups": true, "SystemCallArchitectures": true, "ReadWritePaths": true,
	"AmbientCapabilities": true, "CapabilityBoundingSet": true, "RestrictAddressFamilies": true, "SystemCallFilter": true}

// systemdWords splits an Exec/Environment value the way systemd reads it: words separated by
// spaces, double quotes with C escapes, "%%" for a literal "%", "\;" for a literal ";".
func systemdWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		var w string
		if s[0] == '"' {
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				t.Fatalf("unterminated quote in %q", s)
			}
			uq, err := strconv.Unquote(s[:end+1])
			if err != nil {
				t.Fatalf("bad quoting %q: %v", s[:end+1], err)
			}
			w, s = uq, s[end+1:]
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			w, s = s[:end], s[end:]
			if w == `\;` {
				w = ";"
			}
		}
		words = append(words, strings.ReplaceAll(w, "%%", "%"))
	}
	return words
}

func checkPropertiesMatchText(t *testing.T, u *unitgen.Unit) {
	t.Helper()
	if u == nil {
		return
	}
	opts, err := unit.DeserializeOptions(strings.NewReader(u.Text()))
	if err != nil {
		t.Fatalf("%s: text does not parse: %v", u.Name, err)
	}
	got := map[string][]string{}
	for _, o := range opts {
		if o.Section == "X-Hero" {
			continue
		}
		k := o.Section + "." + o.Name
		got[k] = append(got[k], normalize(t, o.Section, o.Name, o.Value))
	}
	// A setting given twice (SystemCallFilter=: an allow list, then what it denies) is two
	// properties of one name, in order, and two lines of the text.
	want := map[string][]string{}
	byProp := map[string]string{}
	for _, p := range u.Properties {
		section, key, lines := textOf(t, p.Name, p.Value.Signature().String(), unitgen.ForTest(p.Value.Value()))
		if key == "" {
			continue
		}
		k := section + "." + key
		want[k] = append(want[k], lines...)
		byProp[k] = p.Name
	}
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("%s: property %s says %q, text %s says %q", u.Name, byProp[k], w, k, got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: text has %s, but no property sets it", u.Name, k)
		}
	}
}
