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
	case "Type", "Slice", "WorkingDirectory", "User", "Group", "Restart", "StandardOutput", "SyslogIdentifier":
		want("s")
		return "Service", name, []string{specifier(v.(string))}
	case "RemainAfterExit":
		want("b")
		return "Service", name, []string{map[bool]string{true: "yes", false: "no"}[v.(bool)]}
	case "RuntimeDirectory":
		want("as")
		return "Service", name, []string{strings.Join(v.([]string), " ")}
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
	case "RestartUSec", "TimeoutStopUSec", "RuntimeMaxUSec", "TimeoutStartUSec", "LogRateLimitIntervalUSec":
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
	case "KillSignal":
		want("i")
		return "Service", name, []string{"SIG:" + strconv.Itoa(int(v.(int32)))}
	case "ExecStartPre", "ExecStart", "ExecStartPost":
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
	case strings.HasSuffix(key, "Sec") && section == "Service":
		d, err := time.ParseDuration(val)
		if err != nil {
			t.Errorf("%s=%s: %v", key, val, err)
		}
		return "USEC:" + strconv.FormatInt(d.Microseconds(), 10)
	case key == "KillSignal":
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
	seen := map[string]bool{}
	for _, p := range u.Properties {
		section, key, want := textOf(t, p.Name, p.Value.Signature().String(), unitgen.ForTest(p.Value.Value()))
		if key == "" {
			continue
		}
		k := section + "." + key
		seen[k] = true
		if fmt.Sprint(got[k]) != fmt.Sprint(want) {
			t.Errorf("%s: property %s says %q, text %s says %q", u.Name, p.Name, want, k, got[k])
		}
	}
	for k := range got {
		if !seen[k] {
			t.Errorf("%s: text has %s, but no property sets it", u.Name, k)
		}
	}
}
