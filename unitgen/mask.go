package unitgen

import "strings"

// A unit's environment values are secrets: the values of the variables its environment file
// sets are listed in a comment of its text (EnvCommentPrefix), for readers who may see them.
// These helpers hide them from the others.

// Masked stands for a value a reader may not see.
const Masked = "…"

// MaskEnvironment replaces the values of a unit text's Environment= assignments, and of the
// variables its environment file sets (listed in a comment), with Masked (names stay): what
// callers who may not read services' output see of `heroctl cat`.
func MaskEnvironment(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		for _, prefix := range []string{"Environment=", "# " + EnvCommentPrefix} {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				lines[i] = prefix + MaskValues(rest, nil)
			}
		}
	}
	return strings.Join(lines, "\n")
}

// MaskValues masks the values of Environment=-style quoted NAME=VALUE words (the environment
// comment's list); a name in changed gets Masked+"(changed)", so a reader sees that its value
// changed, not what it is.
func MaskValues(s string, changed map[string]bool) string {
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
