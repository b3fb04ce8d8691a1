package cli

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// The Ansible collection's module_utils copies heroctl's exit codes and which ActiveStates count
// as started (Python cannot import Go): each copy must say what the Go definition says.
const ansibleUtils = "../../../packaging/ansible/plugins/module_utils/heroctl.py"

// TestAnsibleCopiesExitCodes holds every EXIT_* constant of the module_utils to heroctl's exit
// code of the same name (EXIT_NOT_ACTIVE is ExitNotActive), and wants every exit code heroctl
// has there.
func TestAnsibleCopiesExitCodes(t *testing.T) {
	src, err := os.ReadFile(ansibleUtils)
	if err != nil {
		t.Fatal(err)
	}
	goCodes := map[string]int{"EXIT_OK": ExitOK, "EXIT_FAILURE": ExitFailure, "EXIT_NOT_ACTIVE": ExitNotActive, "EXIT_NO_SUCH_SERVICE": ExitNoSuchService}
	copied := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^(EXIT_[A-Z_]+)\s*=\s*(\S+)`).FindAllStringSubmatch(string(src), -1) {
		n, err := strconv.Atoi(m[2])
		if err != nil {
			t.Errorf("%s: %s = %s is not a number", ansibleUtils, m[1], m[2])
			continue
		}
		copied[m[1]] = n
	}
	for name, n := range copied {
		want, ok := goCodes[name]
		switch {
		case !ok:
			t.Errorf("%s: %s = %d: heroctl has no such exit code", ansibleUtils, name, n)
		case n != want:
			t.Errorf("%s: %s = %d, heroctl's is %d", ansibleUtils, name, n, want)
		}
	}
	for name, want := range goCodes {
		if _, ok := copied[name]; !ok {
			t.Errorf("%s: no %s (heroctl's %d)", ansibleUtils, name, want)
		}
	}
}

// TestAnsibleCopiesStateSets holds the module_utils' sets of ActiveStates to bridge/state over
// every ActiveState systemd has (org.freedesktop.systemd1(5)): RUNNING_STATES (what counts as
// started) to state.Up, RELOADABLE_STATES (what heroctl reload reloads) to state.Reloadable.
func TestAnsibleCopiesStateSets(t *testing.T) {
	src, err := os.ReadFile(ansibleUtils)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		goes func(string) bool
		fn   string
	}{
		{"RUNNING_STATES", state.Up, "bridge/state.Up"},
		{"RELOADABLE_STATES", state.Reloadable, "bridge/state.Reloadable"},
	} {
		m := regexp.MustCompile(`(?m)^` + c.name + `\s*=\s*\(([^)]*)\)`).FindSubmatch(src)
		if m == nil {
			t.Errorf("%s: no %s tuple", ansibleUtils, c.name)
			continue
		}
		copied := map[string]bool{}
		for _, s := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(string(m[1]), -1) {
			copied[s[1]] = true
		}
		for _, active := range []string{"active", "reloading", "inactive", "failed", "activating", "deactivating", "maintenance", "refreshing"} {
			if copied[active] != c.goes(active) {
				t.Errorf("%s: %s has %q: %v; %s says %v", ansibleUtils, c.name, active, copied[active], c.fn, c.goes(active))
			}
			delete(copied, active)
		}
		if len(copied) > 0 {
			t.Errorf("%s: %s names states systemd does not have: %s", ansibleUtils, c.name, strings.Join(keys(copied), " "))
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAnsibleCopiesServiceFileExtensions holds the config module's EXTENSIONS (the files it
// counts as service files) to unitgen/config.IsServiceFile.
func TestAnsibleCopiesServiceFileExtensions(t *testing.T) {
	const module = "../../../packaging/ansible/plugins/modules/config.py"
	src, err := os.ReadFile(module)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^EXTENSIONS\s*=\s*\(([^)]*)\)`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s: no EXTENSIONS tuple", module)
	}
	copied := map[string]bool{}
	for _, s := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(string(m[1]), -1) {
		copied[s[1]] = true
	}
	for _, ext := range []string{".toml", ".yaml", ".yml", ".json", ".conf", ".tml", ".TOML", ".service", ""} {
		if got := config.IsServiceFile("web" + ext); copied[ext] != got {
			t.Errorf("%s: EXTENSIONS has %q: %v; unitgen/config.IsServiceFile(\"web%s\") is %v", module, ext, copied[ext], ext, got)
		}
		delete(copied, ext)
	}
	if len(copied) > 0 {
		t.Errorf("%s: EXTENSIONS has %s, which herod does not read", module, strings.Join(keys(copied), " "))
	}
}

// TestAnsibleCopiesApplyPlanKeys holds the keys the collection reads of heroctl apply's JSON
// plan (module_utils, the apply module) to bridge/plan's json tags.
func TestAnsibleCopiesApplyPlanKeys(t *testing.T) {
	tags := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeOf(plan.Apply{}), reflect.TypeOf(plan.Change{})} {
		for i := 0; i < typ.NumField(); i++ {
			if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				tags[name] = true
			}
		}
	}
	read := regexp.MustCompile(`\b(?:plan|change)(?:\.get\(|\[)"(\w+)"`)
	listed := regexp.MustCompile(`\("[^"]+",\s*"(\w+)"\)`) // plan_text's (label, key) pairs
	for _, file := range []string{ansibleUtils, "../../../packaging/ansible/plugins/module_utils/diffmask.py", "../../../packaging/ansible/plugins/modules/apply.py"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		found := append(read.FindAllStringSubmatch(string(src), -1), listed.FindAllStringSubmatch(pyFunc(string(src), "plan_text"), -1)...)
		if len(found) == 0 {
			t.Errorf("%s: no plan key found: the pattern no longer reads it", file)
		}
		for _, m := range found {
			if !tags[m[1]] {
				t.Errorf("%s: reads the plan's %q, which heroctl apply -o json does not write", file, m[1])
			}
		}
	}
}

// pyFunc is the text of the top-level Python function name in src ("" when there is none).
func pyFunc(src, name string) string {
	_, body, ok := strings.Cut(src, "\ndef "+name+"(")
	if !ok {
		return ""
	}
	if i := strings.Index(body, "\ndef "); i >= 0 {
		body = body[:i]
	}
	return body
}
