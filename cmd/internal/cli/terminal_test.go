package cli

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

func TestEscapeForTerminal(t *testing.T) {
	tests := map[string]string{
		"plain line":           "plain line",
		"tab\tstays":           "tab\tstays",
		"utf8 é ü 中文 ✓":        "utf8 é ü 中文 ✓",
		"back\\slash stays":    "back\\slash stays",
		"\x1b[31mred\x1b[0m":   `\x1b[31mred\x1b[0m`,
		"title \x1b]0;pwned\a": `title \x1b]0;pwned\a`,
		"bell\a backspace\b":   `bell\a backspace\b`,
		"cr\roverwrite":        `cr\roverwrite`,
		"form\ffeed vt\v":      `form\ffeed vt\v`,
		"nul\x00 del\x7f":      `nul\x00 del\x7f`,
		"c1 csi \u009b31m":     `c1 csi \xc2\x9b31m`,
		"bad \xff byte \xc3":   `bad \xff byte \xc3`,
		"newline\ninside":      `newline\ninside`,
		"":                     "",
		"mixed é\x1b[2J":       `mixed é\x1b[2J`,
	}
	for in, want := range tests {
		if got := escapeForTerminal(in); got != want {
			t.Errorf("escapeForTerminal(%q) = %q, want %q", in, got, want)
		}
	}
}

// Output to a pipe or file stays raw; only a terminal gets escapes.
func TestOutputLineRawWhenNotATerminal(t *testing.T) {
	line := "\x1b[31mred\x1b[0m"
	if got := outputLine(&bytes.Buffer{}, line); got != line {
		t.Errorf("to a buffer: %q, want it raw", got)
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := outputLine(f, line); got != line {
		t.Errorf("to a file: %q, want it raw", got)
	}
	if isTerminal(f) {
		t.Errorf("a regular file taken for a terminal")
	}
}

// On a terminal (the secondary side of a new pseudo-terminal) the line is escaped.
func TestOutputLineEscapedOnATerminal(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	var n uint32
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlocking the pseudo-terminal: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("numbering the pseudo-terminal: %v", e)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	defer tty.Close()
	if !isTerminal(tty) {
		t.Fatalf("/dev/pts/%d is not taken for a terminal", n)
	}
	if got := outputLine(tty, "\x1b[31mred"); got != `\x1b[31mred` {
		t.Errorf("to a terminal: %q, want it escaped", got)
	}
}
