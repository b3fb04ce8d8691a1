package plan

import (
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// execHelperName is hero-exec's file name: the command lines it runs carry an encoded argument
// (which may hold an action's variables).
const execHelperName = "hero-exec"

// envComment begins the comment of a unit's text that lists what its environment file sets.
const envComment = "# " + unitgen.EnvCommentPrefix

// maskDiff returns a unified diff of unit texts as a reader who may not see environment values
// sees it: the values of the environment comment (unitgen.EnvCommentPrefix) and the encoded
// argument of hero-exec's command lines are masked (unitgen.Masked); on an added line, each
// variable whose value differs from the hunk's removed environment comment, and every hero-exec
// argument, is marked "(changed)". A line the diff shows changed stays changed, masked or not,
// and a context line (unchanged) is never made to look changed. Masking a masked diff changes
// nothing.
func maskDiff(diff string) string {
	lines := strings.Split(diff, "\n")
	for start := 0; start < len(lines); {
		end := start + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "@@") {
			end++
		}
		maskHunk(lines[start:end])
		start = end
	}
	return strings.Join(lines, "\n")
}

// maskHunk masks one hunk's lines (or the header before the first hunk, which has none to mask).
func maskHunk(lines []string) {
	removed := map[string]string{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "-# "+unitgen.EnvCommentPrefix); ok {
			for k, v := range envVars(rest) {
				removed[k] = v
			}
		}
	}
	for i, l := range lines {
		if len(l) == 0 || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "@@") {
			continue
		}
		mark, text := l[:1], l[1:]
		if rest, ok := strings.CutPrefix(text, "# "+unitgen.EnvCommentPrefix); ok {
			changed := map[string]bool{}
			if mark == "+" {
				for k, v := range envVars(rest) {
					if old, ok := removed[k]; !ok || old != v {
						changed[k] = true
					}
				}
			}
			lines[i] = mark + "# " + unitgen.EnvCommentPrefix + unitgen.MaskValues(rest, changed)
			continue
		}
		lines[i] = mark + maskExecLine(text, mark == "+")
	}
}

// envVars are the variables an environment comment lists, by name.
func envVars(list string) map[string]string {
	vars := map[string]string{}
	for _, w := range unitgen.EnvWords(list) {
		if k, v, ok := strings.Cut(w, "="); ok {
			vars[k] = v
		}
	}
	return vars
}

// maskExecLine masks the encoded argument of a command line hero-exec runs (marked when added).
func maskExecLine(line string, added bool) string {
	key, _, _ := strings.Cut(line, "=")
	if !strings.HasPrefix(key, "Exec") || !strings.Contains(line, execHelperName+" ") {
		return line
	}
	words := strings.Fields(line)
	if len(words) < 3 {
		return line
	}
	last := &words[len(words)-1]
	*last = unitgen.Masked
	if added {
		*last += "(changed)"
	}
	return strings.Join(words, " ")
}
