package unitgen

import "strings"

// A unit's environment values are secrets: the values of the variables its environment file
// sets are listed in a comment of its text (EnvCommentPrefix), for readers who may see them.
// These helpers hide them from the others.

// Masked stands for a value a reader may not see.
const Masked = "…"

// execHelperName is hero-exec's file name: the command lines it runs carry an encoded argument.
const execHelperName = "hero-exec"

// MaskEnvironment replaces the values of a unit text's Environment= assignments, and of the
// variables its environment file sets (listed in a comment), with Masked (names stay): what
// callers who may not read services' output see of `heroctl cat`.
func MaskEnvironment(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		for _, prefix := range []string{"Environment=", "# " + EnvCommentPrefix} {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				lines[i] = prefix + maskValues(rest, nil)
			}
		}
	}
	return strings.Join(lines, "\n")
}

// maskValues masks the values of Environment=-style quoted NAME=VALUE words; a name in changed
// gets Masked+"(changed)", so a reader sees that its value changed, not what it is.
func maskValues(s string, changed map[string]bool) string {
	words := EnvWords(s)
	for j, w := range words {
		if k, _, ok := strings.Cut(w, "="); ok {
			mark := Masked
			if changed[k] {
				mark += "(changed)"
			}
			words[j] = `"` + k + "=" + mark + `"`
		}
	}
	return strings.Join(words, " ")
}

// EnvWords splits an Environment= value (or the environment comment's list) into its words,
// unquoted (double quotes, C escapes): the inverse of how a unit's text quotes them.
func EnvWords(s string) []string {
	var words []string
	var cur strings.Builder
	inQuote, escaped, have := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inQuote, have = !inQuote, true
		case c == ' ' && !inQuote:
			if have || cur.Len() > 0 {
				words = append(words, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteByte(c)
		}
	}
	if have || cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// envComment returns the variables a text's environment comment lists, by name.
func envComment(text string) map[string]string {
	vars := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(l, "# "+EnvCommentPrefix); ok {
			for _, w := range EnvWords(rest) {
				if k, v, ok := strings.Cut(w, "="); ok {
					vars[k] = v
				}
			}
		}
	}
	return vars
}

// MaskAgainst returns the texts of two definitions of a unit, old and new, as a reader who may
// not see environment values sees them: the values of the environment comment and the encoded
// argument of hero-exec's command lines (which may carry an action's variables) are masked, and
// in new each one that differs from old is marked "(changed)". Lines are otherwise kept, so a
// diff of the two shows every line that changed, masked or not, and no other: two lines that
// differ only in hidden values still differ, and equal lines stay equal.
func MaskAgainst(old, new string) (maskedOld, maskedNew string) {
	oldVars, oldLines := envComment(old), map[string]bool{}
	for _, l := range strings.Split(old, "\n") {
		oldLines[l] = true
	}
	newVars := envComment(new)
	changed := map[string]bool{}
	for k, v := range newVars {
		if ov, ok := oldVars[k]; !ok || ov != v {
			changed[k] = true
		}
	}
	return maskLines(old, func(string) bool { return false }, nil),
		maskLines(new, func(l string) bool { return !oldLines[l] }, changed)
}

// maskLines masks each line of text; isChanged says whether a hero-exec line's argument is to be
// marked as changed, changed which variables of the environment comment are.
func maskLines(text string, isChanged func(string) bool, changed map[string]bool) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "# "+EnvCommentPrefix); ok {
			lines[i] = "# " + EnvCommentPrefix + maskValues(rest, changed)
			continue
		}
		key, _, _ := strings.Cut(l, "=")
		if !strings.HasPrefix(key, "Exec") || !strings.Contains(l, execHelperName+" ") {
			continue
		}
		words := strings.Fields(l)
		if len(words) < 3 {
			continue
		}
		words[len(words)-1] = Masked
		if isChanged(l) {
			words[len(words)-1] += "(changed)"
		}
		lines[i] = strings.Join(words, " ")
	}
	return strings.Join(lines, "\n")
}
