package plan

import (
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// unifiedDiff returns the hunks of a unified diff (diff -u, without the file header) from a to
// b, line by line, with context lines of context around each change. Unit texts are short (at
// most a few hundred lines), so a plain longest-common-subsequence table is enough.
func unifiedDiff(a, b string, context int) string { return unifiedDiffShowing(a, b, b, context) }

// unifiedDiffShowing is unifiedDiff from a to b, its added lines written as shownB has them
// (shownB has b's lines, one for one, as another reader may see them; a shownB of another
// number of lines shows no added line's text).
func unifiedDiffShowing(a, b, shownB string, context int) string {
	x, y, shown := splitLines(a), splitLines(b), splitLines(shownB)
	ops := diffOps(x, y)
	for i, o := range ops {
		switch {
		case o.kind != '+':
		case len(shown) == len(y):
			ops[i].line = shown[o.bPos-1]
		default:
			ops[i].line = unitgen.Withheld
		}
	}
	var out strings.Builder
	for start := 0; start < len(ops); {
		// Find the next change, and the hunk around it (changes closer than 2*context merge).
		first := start
		for first < len(ops) && ops[first].kind == ' ' {
			first++
		}
		if first == len(ops) {
			break
		}
		end := first
		for i := first; i < len(ops); i++ {
			if ops[i].kind != ' ' {
				end = i + 1
			} else if i-end >= 2*context {
				break
			}
		}
		lo, hi := max(first-context, start), min(end+context, len(ops))
		writeHunk(&out, ops[lo:hi])
		start = hi
	}
	return out.String()
}

type diffOp struct {
	kind       byte // ' ', '-', '+'
	line       string
	aPos, bPos int // 1-based line numbers before this op in a and b
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func diffOps(x, y []string) []diffOp {
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, diffOp{' ', x[i], i + 1, j + 1})
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, diffOp{'+', y[j], i + 1, j + 1})
			j++
		default:
			ops = append(ops, diffOp{'-', x[i], i + 1, j + 1})
			i++
		}
	}
	return ops
}

func writeHunk(out *strings.Builder, ops []diffOp) {
	aStart, bStart := ops[0].aPos, ops[0].bPos
	aLen, bLen := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			aLen++
		}
		if o.kind != '-' {
			bLen++
		}
	}
	if aLen == 0 {
		aStart--
	}
	if bLen == 0 {
		bStart--
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
	for _, o := range ops {
		out.WriteByte(o.kind)
		out.WriteString(o.line)
		out.WriteByte('\n')
	}
}

// prefixLines prefixes every line of text with p.
func prefixLines(p, text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n") {
		b.WriteString(p + strings.TrimSuffix(l, "\n") + "\n")
	}
	return b.String()
}

// withheldLines is new as a reader who may not read the service's file is shown it: withheld's
// lines (new with the file's values left out, line for line), but for the environment comment,
// kept as new has it for maskDiff, which always follows, to mask its values and mark those that
// changed. A withheld text of another shape than new's shows none of new's lines ("…" each).
func withheldLines(new, withheld string) string {
	x, w := splitLines(new), splitLines(withheld)
	out := make([]string, len(x))
	for i, l := range x {
		switch {
		case len(w) != len(x):
			out[i] = unitgen.Withheld
		case strings.HasPrefix(l, envComment) && strings.HasPrefix(w[i], envComment):
			out[i] = l
		default:
			out[i] = w[i]
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}
