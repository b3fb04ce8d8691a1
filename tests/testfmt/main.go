// Command testfmt prints `go test -json` as it arrives, for tests/run.sh: one line per test
// function as it ends (PASS, FAIL with the test's whole output, SKIP with its reason), each
// package's result, and anything a package prints outside a test (the testbed's progress) at
// once. It adds the tests it saw to a tally file, which tests/run.sh turns into its closing
// "N passed, N failed" line. Counted are test functions (TestX), not subtests; a package that
// fails outside any test (a build error, a crash in TestMain) counts as one failure.
// With -failures it also appends every failure (the test's name and the last lines of its
// output, or a package's last lines outside any test) to a file, which tests/run.sh prints
// again just above its closing line: the end of a long CI log then says what failed.
//
//	go test -json ./... | go run ./tests/testfmt -module MODULE -tally FILE -failures FILE
//
// The exit status is 1 if anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// Tally counts test functions by outcome.
type Tally struct{ Passed, Failed, Skipped int }

func (t Tally) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", t.Passed, t.Failed, t.Skipped)
}

// printer turns events into lines on out.
type printer struct {
	out    io.Writer
	module string // stripped from package paths
	tally  Tally
	output map[string][]string // output of running top-level tests, by package and test
	failed map[string]bool     // packages with a failed test
	// loose is each package's last lines printed outside any test (a crash in TestMain).
	loose map[string][]string
	// recap collects every failure with the end of its output, for -failures.
	recap strings.Builder
}

// recapLines is how many of a failure's last lines the recap keeps.
const recapLines = 60

func newPrinter(out io.Writer, module string) *printer {
	return &printer{out: out, module: module, output: map[string][]string{}, failed: map[string]bool{},
		loose: map[string][]string{}}
}

// addRecap records a failure's header and the last recapLines of its output.
func (p *printer) addRecap(header string, lines []string) {
	fmt.Fprintln(&p.recap, header)
	var kept []string
	for _, chunk := range lines {
		for _, l := range strings.SplitAfter(chunk, "\n") {
			if l != "" && !strings.HasPrefix(l, "=== ") {
				kept = append(kept, l)
			}
		}
	}
	if len(kept) > recapLines {
		fmt.Fprintf(&p.recap, "    [%d earlier lines above in the log]\n", len(kept)-recapLines)
		kept = kept[len(kept)-recapLines:]
	}
	for _, l := range kept {
		fmt.Fprint(&p.recap, "    "+l)
	}
}

// name is a test's name with its package: "cmd/internal/cli.TestExitCodes".
func (p *printer) name(e event) string {
	pkg := strings.TrimPrefix(strings.TrimPrefix(e.Package, p.module), "/")
	if pkg == "" {
		return e.Test
	}
	return pkg + "." + e.Test
}

func (p *printer) event(e event) {
	top, _, _ := strings.Cut(e.Test, "/")
	key := e.Package + " " + top
	switch {
	case e.Test == "" && e.Action == "output":
		if !strings.HasPrefix(e.Output, "=== ") && !isResultLine(e.Output) {
			fmt.Fprint(p.out, e.Output)
			l := append(p.loose[e.Package], e.Output)
			if len(l) > recapLines {
				l = l[1:]
			}
			p.loose[e.Package] = l
		}
	case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
		p.packageDone(e)
	case e.Action == "output":
		p.output[key] = append(p.output[key], e.Output)
	case e.Test != top: // a subtest's result: part of its parent's output
	case e.Action == "pass":
		p.tally.Passed++
		fmt.Fprintf(p.out, "--- PASS %s (%.2fs)\n", p.name(e), e.Elapsed)
		delete(p.output, key)
	case e.Action == "skip":
		p.tally.Skipped++
		fmt.Fprintf(p.out, "--- SKIP %s: %s\n", p.name(e), skipReason(p.output[key]))
		delete(p.output, key)
	case e.Action == "fail":
		p.tally.Failed++
		p.failed[e.Package] = true
		fmt.Fprintf(p.out, "--- FAIL %s (%.2fs)\n", p.name(e), e.Elapsed)
		p.addRecap(fmt.Sprintf("--- FAIL %s (%.2fs)", p.name(e), e.Elapsed), p.output[key])
		for _, l := range p.output[key] {
			if !strings.HasPrefix(l, "=== ") {
				fmt.Fprint(p.out, "    "+l)
			}
		}
		delete(p.output, key)
	}
}

// packageDone prints a package's result; a package that failed without a failed test (it did
// not build, or crashed outside a test) counts as one failure.
func (p *printer) packageDone(e event) {
	switch e.Action {
	case "pass":
		fmt.Fprintf(p.out, "ok   %s (%.1fs)\n", e.Package, e.Elapsed)
	case "skip":
		fmt.Fprintf(p.out, "?    %s [no test files]\n", e.Package)
	case "fail":
		if !p.failed[e.Package] {
			p.tally.Failed++
			p.addRecap(fmt.Sprintf("FAIL %s outside any test; its last lines:", e.Package), p.loose[e.Package])
		}
		fmt.Fprintf(p.out, "FAIL %s (%.1fs)\n", e.Package, e.Elapsed)
	}
}

// isResultLine reports go test's own summary lines, which the printer replaces with its own.
func isResultLine(s string) bool {
	for _, p := range []string{"PASS\n", "FAIL\n", "ok  \t", "FAIL\t", "?   \t", "--- "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// skipReason is the last line a skipped test logged (t.Skip's message), trimmed.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- ") {
			return l
		}
	}
	return "skipped"
}

// readTally reads the counts kept in path ("N N N": passed, failed, skipped); a missing file
// is zero counts.
func readTally(path string) (Tally, error) {
	var t Tally
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return t, nil
	}
	if err != nil {
		return t, err
	}
	if _, err := fmt.Sscan(string(data), &t.Passed, &t.Failed, &t.Skipped); err != nil {
		return t, fmt.Errorf("tally %s: %w", path, err)
	}
	return t, nil
}

// addTally adds t to the counts kept in path.
func addTally(path string, t Tally) error {
	old, err := readTally(path)
	if err != nil {
		return err
	}
	old.Passed += t.Passed
	old.Failed += t.Failed
	old.Skipped += t.Skipped
	return os.WriteFile(path, []byte(fmt.Sprintf("%d %d %d\n", old.Passed, old.Failed, old.Skipped)), 0o644)
}

// appendFile appends text to the file at path, creating it.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func main() {
	tally := flag.String("tally", "", "add the counts to this file")
	module := flag.String("module", "", "module path to strip from package names")
	failures := flag.String("failures", "", "append every failure and the end of its output to this file")
	flag.Parse()
	p := newPrinter(os.Stdout, *module)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // not JSON: go's own messages (build errors go to stderr)
			continue
		}
		p.event(e)
	}
	if *tally != "" {
		if err := addTally(*tally, p.tally); err != nil {
			fmt.Fprintln(os.Stderr, "testfmt:", err)
			os.Exit(1)
		}
	}
	if *failures != "" && p.recap.Len() > 0 {
		if err := appendFile(*failures, p.recap.String()); err != nil {
			fmt.Fprintln(os.Stderr, "testfmt:", err)
			os.Exit(1)
		}
	}
	if p.tally.Failed > 0 {
		os.Exit(1)
	}
}
