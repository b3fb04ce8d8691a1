package unitgen

import (
	"path"
	"sort"
	"strconv"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// Environment values are secrets as often as not (DB_PASSWORD): systemd shows a unit's
// Environment= to every local user (systemctl show, busctl, the transient unit file under
// /run/systemd/transient, which is world-readable). So a service's own variables, and its
// pre-actions' (which hero-exec sets), go into an environment file instead, which herod writes
// into a directory only root reads (EnvDir) before it creates the unit; systemd (PID 1, as
// root) reads it when it starts each command, and the unit names only its path. Unit files and
// properties then hold the variables' values of hero's own (HERO_SERVICE, HERO_CONTEXT,
// HERO_DEFINITION) only. unitgen stays pure: it returns the file's path and content
// (Unit.EnvFile, Unit.EnvContent); the bridge writes it.

// DefaultEnvDir is where herod (system) keeps the environment files: root's alone (0700), its
// files 0600. It is not under /run/hero, where every service gets a RuntimeDirectory= owned by
// its user.
const DefaultEnvDir = "/run/hero-systemd/env"

// PreEnvPrefix names the variables that carry a pre-action's own environment to hero-exec
// (HERO_PRE_ENV_1 for the first pre-action, ...): base64url JSON of its variables, read and
// removed by hero-exec, which removes every such variable before running any command.
const PreEnvPrefix = execspec.PreEnvPrefix

// EnvFileSuffix ends every environment file's name: UNIT-DEFINITION.env.
const EnvFileSuffix = ".env"

// EnvFileName is the environment file of a unit of a definition: a new definition gets a new
// file, so a unit systemd restarts by itself keeps reading the one it was made with. The
// unit name's backslashes (systemd's escapes, \x2d) become '+', which no unit name holds, so
// the name needs no quoting anywhere and maps back to exactly one unit.
func EnvFileName(unitName, definition string) string {
	return strings.ReplaceAll(unitName, `\`, "+") + "-" + definition + EnvFileSuffix
}

// TextFileSuffix ends the name of the file herod keeps a unit's text in, beside its environment
// file and as private (the text lists the environment's values): UNIT-DEFINITION.unit. With it
// an apply shows what changed in a unit that herod created before it last started.
const TextFileSuffix = ".unit"

// TextFileName is the file of a unit's text, for a definition (see TextFileSuffix).
func TextFileName(unitName, definition string) string {
	return strings.TrimSuffix(EnvFileName(unitName, definition), EnvFileSuffix) + TextFileSuffix
}

// EnvFileUnit is the unit an environment file (or a text file, see TextFileName) belongs to,
// and its definition ("" for a name hero did not write).
func EnvFileUnit(file string) (unit, definition string) {
	stem, ok := strings.CutSuffix(file, EnvFileSuffix)
	if !ok {
		stem, ok = strings.CutSuffix(file, TextFileSuffix)
	}
	if !ok {
		return "", ""
	}
	i := strings.LastIndexByte(stem, '-')
	if i < 0 || !strings.HasSuffix(stem[:i], ".service") {
		return "", ""
	}
	return strings.ReplaceAll(stem[:i], "+", `\`), stem[i+1:]
}

func preEnvVar(i int) string { return PreEnvPrefix + strconv.Itoa(i+1) }

// envFile renders variables (NAME=VALUE, sorted) as an environment file that systemd reads
// back byte for byte (systemd's env-file.c): each value double-quoted, with '"', '\\', '`'
// and '$' escaped by a backslash, the only characters a double-quoted value changes; a line
// break inside quotes is kept as it is. Names are valid environment names (config checks).
func envFile(vars []string) []byte {
	if len(vars) == 0 {
		return nil
	}
	var b strings.Builder
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString(k)
		b.WriteString(`="`)
		for i := 0; i < len(v); i++ {
			if strings.IndexByte("\"\\`$", v[i]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteString("\"\n")
	}
	return []byte(b.String())
}

// EnvCommentPrefix starts the comment of a unit's text that lists what its environment file
// sets (Environment=-style quoted words), so a reader of `heroctl cat` sees the variables; herod
// masks the values for callers who may not read them.
const EnvCommentPrefix = "environment file sets: "

// envDirective adds the EnvironmentFile= directive: the service's own env_file (userFile,
// read as systemd parses it), and hero's file of its env values, whose path names the
// definition and is set by setEnvFile once the definition is known. hero's file comes first:
// systemd reads the files in order, a later one overriding an earlier one, so a name set in
// both takes env_file's value, as EnvironmentFile= overrides Environment= in a unit.
func (b *builder) envDirective(vars []string, userFile string) {
	if len(vars) == 0 && userFile == "" {
		return
	}
	d := directive{section: "Service", key: "EnvironmentFile"}
	if len(vars) > 0 {
		words := make([]string, len(vars))
		names := make([]string, len(vars))
		for i, kv := range vars {
			words[i] = quoteWord(kv, true)
			name, _, _ := strings.Cut(kv, "=")
			names[i] = `"` + name + "=" + Withheld + `"`
		}
		d.comments = []string{EnvCommentPrefix + shellLine(strings.Join(words, " "))}
		d.shownComments = []string{EnvCommentPrefix + shellLine(strings.Join(names, " "))}
	}
	if userFile != "" {
		d.text = b.line("EnvironmentFile", userFile)
		d.shownText = Withheld // the file's own setting
		d.prop = sddbus.Property{Name: "EnvironmentFiles", Value: dbus.MakeVariant([]envFileEntry{{Path: userFile}})}
	}
	b.userEnvFile = userFile
	b.ds = append(b.ds, d)
}

// shellLine keeps a comment on one line.
func shellLine(s string) string { return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s) }

// setEnvFile points the EnvironmentFile= directive at hero's file of this definition, before
// the service's own env_file.
func (b *builder) setEnvFile(dir, unitName, digest string) string {
	for i, d := range b.ds {
		if d.key != "EnvironmentFile" {
			continue
		}
		file := path.Join(dir, EnvFileName(unitName, digest))
		entries := []envFileEntry{{Path: file}}
		lines := []string{b.line("EnvironmentFile", file)}
		shown := []string{lines[0]} // hero's own file: its path names only the unit and definition
		if b.userEnvFile != "" {
			entries = append(entries, envFileEntry{Path: b.userEnvFile})
			lines = append(lines, b.line("EnvironmentFile", b.userEnvFile))
			shown = append(shown, Withheld)
		}
		b.ds[i].text, b.ds[i].shownText = strings.Join(lines, "\n"), strings.Join(shown, "\n")
		b.ds[i].prop = sddbus.Property{Name: "EnvironmentFiles", Value: dbus.MakeVariant(entries)}
		return file
	}
	return ""
}

// envFileEntry is systemd's EnvironmentFiles D-Bus struct (sb): path, and whether a missing
// file is fine (never: a missing file must fail the start, not run without the variables).
type envFileEntry struct {
	Path     string
	Optional bool
}

// fileEnv is what the environment file sets: the main action's variables, then each
// pre-action's own (encoded, for hero-exec), sorted.
func fileEnv(main map[string]string, pre map[string]string) []string {
	out := sortedEnv(main)
	keys := make([]string, 0, len(pre))
	for k := range pre {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+pre[k])
	}
	return out
}

func sortedEnv(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + env[k]
	}
	return out
}
