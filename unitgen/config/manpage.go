package config

import (
	"fmt"
	"strings"
)

// ManPage renders hero-service(5), the reference of service files, in roff (man(7) macros)
// from heroKeys and zinitKeyTable: the tables validation reads its keys from, so the manual
// describes exactly what is accepted. date is the page's date ("2026-11-25"), version the
// package's.
func ManPage(date, version string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`.TH HERO\-SERVICE 5 %s %s "File Formats"`, roffQuote(date), roffQuote("hero-systemd "+version))
	w(".nh") // key and variable names must not be hyphenated
	w(".SH NAME")
	w(`hero\-service \- hero service configs: hero TOML and zinit YAML files`)
	w(".SH SYNOPSIS")
	w(".IR /etc/hero/services/ NAME .toml")
	w(".br")
	w(".IR /etc/hero/services/ NAME .yaml")
	w(".SH DESCRIPTION")
	for _, p := range manIntro {
		w(".PP")
		w("%s", roffText(p))
	}
	w(`.SH "HERO TOML KEYS"`)
	for _, g := range heroKeyGroups {
		w(`.SS %s`, roffQuote(g.title))
		w("%s", roffText(g.intro))
		for _, k := range heroKeys {
			if k.Section == g.section && k.Scope == g.scope {
				writeKey(&b, k)
			}
		}
	}
	w(`.SH "ZINIT YAML KEYS"`)
	w("%s", roffText("A NAME.yaml file is read as zinit reads it, with these keys:"))
	for _, k := range zinitKeyTable {
		writeKey(&b, k)
	}
	w(`.SH "LITERAL VALUES"`)
	w("%s", roffText(manLiteral))
	w(`.SH "A DIRECTORY WITH PROBLEMS"`)
	for _, p := range manStates {
		w(".PP")
		w("%s", roffText(p))
	}
	w(".SH LIMITS")
	w("%s", roffText(fmt.Sprintf("A file holds at most %d bytes and one document; tables and arrays nest at most %d levels and hold at most %d entries. "+
		"A service has at most %d actions of at most %d arguments of at most %d bytes, %d environment variables, %d entries per dependency list; "+
		"a directory at most %d service files. Service names are letters, digits, '_', '.' and '-', starting with a letter or digit, at most %d bytes.",
		MaxFileSize, maxNesting, maxCollection, maxActions, maxArgs, maxArgLen, maxEnv, maxDependencies, MaxServices, maxNameLen)))
	w(".SH EXAMPLE")
	w(".PP")
	w(".nf")
	w(".RS 4")
	for _, l := range strings.Split(strings.TrimSpace(manExample), "\n") {
		w("%s", roffLine(l))
	}
	w(".RE")
	w(".fi")
	w(`.SH "SEE ALSO"`)
	w(".BR heroctl (1),")
	w(".BR herod (8),")
	w(".BR systemd.service (5),")
	w(".BR systemd.exec (5),")
	w(".BR systemd.resource-control (5),")
	w(".BR systemd.unit (5)")
	return b.String()
}

// heroKeyGroups are the manual's subsections of heroKeys, in order.
var heroKeyGroups = []struct {
	title, intro string
	section      string
	scope        Scope
}{
	{"The service", "At the top level only:", "", scopeService},
	{"The command", "exec, or interpreter and script: at the top level for a service of one action, or in each [[actions]] entry:", "", scopeCommand},
	{"Environment and directory", "At the top level (for every action) or in an action (its own entries win):", "", scopeEveryAction},
	{"The main process", "At the top level or in the last action:", "", scopeMain},
	{"[dependencies]", "Dependencies name other services of the directory:", keyDependencies, scopeSection},
	{"[limits]", "Resource limits systemd enforces on the service's cgroup and processes:", keyLimits, scopeSection},
	{"[[actions]]", "Ordered actions, instead of a top-level command:", keyActions, scopeAction},
}

var manIntro = []string{
	"Each file of the config directory (default /etc/hero/services) describes one service, run by herod(8) as the transient systemd unit hero-CONTEXT-NAME.service. The service's name is the file's stem: web.toml is web. Files not ending in .toml, .yaml or .yml, hidden files and folders are ignored.",
	"heroctl validate reports every problem of a directory, each as FILE:LINE: KEY: PROBLEM; heroctl cat NAME prints the unit a service becomes.",
}

var manStates = []string{
	"A directory with problems still serves its valid part. A service is bad-config when its own file has a problem, or when it requires, through any chain, a service that is bad-config or not defined (systemd would say bad-setting, or fail the start on a not-found unit): it is left out of plans and cannot start. It is blocked when it must start after a service that is not defined (after, or zinit's after, which keeps it waiting as zinit does): it cannot start until that service is defined. Every other service is fully usable.",
	"heroctl validate reports every problem and exits 1.",
}

var manLiteral = "Every exec and health argument, script and environment value reaches the program exactly as written: nothing is expanded, neither '$' (a variable to systemd) nor '%' (a specifier in unit files). hero escapes them in the unit, and runs through its helper hero-exec every command systemd could not keep intact (systemd 252 rewrites '$' and ';' of a transient unit's arguments at each daemon-reload): an action whose arguments hold '$' or ';', a pre-action with its own env or dir, and every health check. hero-exec executes the exact argument vector itself, as the service's user, with no shell. A script run by a shell expands variables itself: that is how to use $VAR. A program may not contain '$' or '='."

var manExample = `
description = "API server"
context = "web"
status = "start"
user = "www-data"
exec = ["/usr/bin/api", "--port", "8080"]
env = { API_PORT = "8080" }
restart = "on-failure"
health = ["/usr/bin/curl", "-fsS", "http://localhost:8080/health"]

[dependencies]
requires = ["db"]

[limits]
memory = "512M"
`

func writeKey(b *strings.Builder, k Key) {
	fmt.Fprintf(b, ".TP\n.B %s\n", roffQuote(k.Name))
	var facts []string
	if k.Type != "" {
		facts = append(facts, k.Type)
	}
	if k.Default != "" {
		facts = append(facts, "default "+k.Default)
	}
	if k.Directive != "" {
		facts = append(facts, "systemd: "+k.Directive)
	}
	fmt.Fprintf(b, "%s\n", roffText(k.Doc))
	if len(facts) > 0 {
		fmt.Fprintf(b, ".br\n%s\n", roffText("("+strings.Join(facts, "; ")+")"))
	}
}

// roffText escapes running text for roff: backslashes, and a '.' or '\” starting a line.
func roffText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = roffLine(l)
	}
	return strings.Join(lines, "\n")
}

func roffLine(l string) string {
	l = strings.ReplaceAll(l, `\`, `\e`)
	l = strings.ReplaceAll(l, "-", `\-`)
	if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
		l = `\&` + l
	}
	return l
}

// roffQuote makes s one macro argument.
func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffLine(s), `"`, `\(dq`) + `"`
}
