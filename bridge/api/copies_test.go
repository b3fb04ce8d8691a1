package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge/state"
)

// The Cockpit page (JavaScript) writes herod's D-Bus names as strings: each one it uses must be
// a name this package defines, with the meaning it has here.
const cockpitPage = "../../packaging/cockpit/hero.js"

// pageMembers are the methods, signals and properties of herod's interfaces, by interface.
func pageMembers(t *testing.T) map[string]map[string]string {
	t.Helper()
	ms, err := Members(strings.Join(Interfaces, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, m := range ms {
		if out[m.Interface] == nil {
			out[m.Interface] = map[string]string{}
		}
		out[m.Interface][m.Name] = m.Kind
	}
	return out
}

// errorNames are the values of this package's Err* constants.
func errorNames(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "api.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if strings.HasPrefix(name.Name, "Err") && i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						out[s] = true
					}
				}
			}
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("no Err* constants in api.go")
	}
	return out
}

// TestCockpitCopiesTheNames checks every name the page uses: its constants for the bus name,
// the manager's path and the interfaces; every method it calls (client.call, and the methods
// and plans of its start/stop/restart dialog), every signal it subscribes to, every property it
// reads of a service or job proxy, every D-Bus error name it explains, and the polkit action it
// names.
func TestCockpitCopiesTheNames(t *testing.T) {
	data, err := os.ReadFile(cockpitPage)
	if err != nil {
		t.Fatal(err)
	}
	js := string(data)
	consts := map[string]string{"BUS_NAME": BusName, "MANAGER_PATH": Path, "MANAGER": Interface, "SERVICE": ServiceInterface, "JOB": JobInterface}
	ifaceOf := map[string]string{}
	for name, want := range consts {
		m := regexp.MustCompile(`const ` + name + ` = "([^"]*)"`).FindStringSubmatch(js)
		switch {
		case m == nil:
			t.Errorf("%s: no const %s (%q)", cockpitPage, name, want)
		case m[1] != want:
			t.Errorf("%s: %s = %q, herod's is %q", cockpitPage, name, m[1], want)
		}
		ifaceOf[name] = want
	}
	ms := pageMembers(t)
	checkMember := func(iface, name, kind, where string) {
		if got := ms[iface][name]; got != kind {
			t.Errorf("%s: %s: %s.%s is not a %s of herod's (it is %q)", cockpitPage, where, iface, name, kind, got)
		}
	}
	calls := regexp.MustCompile(`client\.call\([^,]+,\s*("[^"]+"|[A-Z_]+),\s*("?)(\w+)`).FindAllStringSubmatch(js, -1)
	if len(calls) < 5 {
		t.Fatalf("%s: only %d client.call found: the pattern no longer reads the page", cockpitPage, len(calls))
	}
	for _, c := range calls {
		iface := strings.Trim(c[1], `"`)
		if v, ok := ifaceOf[c[1]]; ok {
			iface = v
		}
		if c[2] == "" { // a method named by a variable (the dialog's table, checked below)
			continue
		}
		if iface == PeerInterface {
			continue // org.freedesktop.DBus.Peer.Ping: the bus's, not herod's
		}
		checkMember(iface, c[3], "method", "client.call")
	}
	for _, m := range regexp.MustCompile(`\b(?:method|plan):\s*"(\w+)"`).FindAllStringSubmatch(js, -1) {
		checkMember(Interface, m[1], "method", "the dialog's table")
	}
	for _, m := range regexp.MustCompile(`interface:\s*(\w+),\s*path:\s*\w+,\s*member:\s*"(\w+)"`).FindAllStringSubmatch(js, -1) {
		checkMember(ifaceOf[m[1]], m[2], "signal", "client.subscribe")
	}
	props := map[string]bool{}
	for name, kind := range ms[ServiceInterface] {
		props[name] = props[name] || kind == "property"
	}
	for name, kind := range ms[JobInterface] {
		props[name] = props[name] || kind == "property"
	}
	for _, m := range regexp.MustCompile(`\b(?:p|j|a|b|st)\.([A-Z]\w*)`).FindAllStringSubmatch(js, -1) {
		if !props[m[1]] {
			t.Errorf("%s: reads a property %s that no service or job object of herod's has", cockpitPage, m[1])
		}
	}
	errs := errorNames(t)
	// The bus daemon's own refusal (its policy, before herod sees the call) is not herod's to
	// define, but the page may explain it.
	errs["org.freedesktop.DBus.Error.AccessDenied"] = true
	for _, m := range regexp.MustCompile(`"(org\.hero\.Proc1\.Error\.\w+|org\.freedesktop\.DBus\.Error\.\w+)"`).FindAllStringSubmatch(js, -1) {
		if !errs[m[1]] {
			t.Errorf("%s: explains the error %s, which herod never returns", cockpitPage, m[1])
		}
	}
	for _, m := range regexp.MustCompile(`org\.hero\.proc1\.[\w-]+`).FindAllString(js, -1) {
		if m != PolkitAction {
			t.Errorf("%s: names the polkit action %s; herod's is %s", cockpitPage, m, PolkitAction)
		}
	}
}

// TestCockpitCopiesReloadableStates holds the page's reloadable (the ActiveStates in which it
// offers Reload) to bridge/state.Reloadable, over every ActiveState systemd has.
func TestCockpitCopiesReloadableStates(t *testing.T) {
	data, err := os.ReadFile(cockpitPage)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`function reloadable\(p\) \{\s*return \[([^\]]*)\]\.includes\(p\.ActiveState\)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no function reloadable(p) returning [...].includes(p.ActiveState)", cockpitPage)
	}
	copied := map[string]bool{}
	for _, s := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(string(m[1]), -1) {
		copied[s[1]] = true
	}
	for _, active := range []string{"active", "reloading", "inactive", "failed", "activating", "deactivating", "maintenance", "refreshing"} {
		if copied[active] != state.Reloadable(active) {
			t.Errorf("%s: reloadable(%q) is %v; bridge/state.Reloadable says %v", cockpitPage, active, copied[active], state.Reloadable(active))
		}
		delete(copied, active)
	}
	if len(copied) > 0 {
		t.Errorf("%s: reloadable names states systemd does not have: %v", cockpitPage, copied)
	}
}
