package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sys/unix"
)

// outputLine returns a line of a service's output as it may be written to w. A service writes
// what it likes; on a terminal, escape sequences and other control characters would be
// interpreted (moving the cursor, rewriting the screen, setting the window title), so there
// they are escaped. Written to a pipe or a file, the line stays raw, as with journalctl -o cat.
func outputLine(w io.Writer, line string) string {
	if !isTerminal(w) {
		return line
	}
	return escapeForTerminal(line)
}

// isTerminal reports whether w is a terminal, as isatty(3) does.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// escapeForTerminal escapes what a terminal would interpret in s: control characters (C0 but
// TAB, DEL, and the C1 controls U+0080..U+009F, among them the one-byte CSI) and bytes that
// are not UTF-8, as systemd's cescape() writes them (\a, \b, \f, \r, \v, \xNN for the others'
// bytes). Printable text, TAB and other UTF-8 stay as they are. (journalctl 252 instead shows a
// whole line holding any of them as "[N blob data]" unless --all; escaping keeps the line
// readable and the terminal safe.)
func escapeForTerminal(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case isControl(r):
			writeEscaped(&b, s[i:i+size])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s needs no escaping (the common case, checked without allocating).
func isPlain(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || isControl(r) {
			return false
		}
	}
	return true
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f
}

// cNames are the control characters C writes by name.
var cNames = map[byte]string{'\a': `\a`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\v': `\v`}

func writeEscaped(b *strings.Builder, char string) {
	if name, ok := cNames[char[0]]; ok && len(char) == 1 {
		b.WriteString(name)
		return
	}
	for i := 0; i < len(char); i++ {
		fmt.Fprintf(b, `\x%02x`, char[i])
	}
}

// outputWidth is the width lines written to w are cut to, as systemctl cuts them: the
// terminal's ($COLUMNS if set) when w is one and full is not asked for, else 0 (whole lines).
func outputWidth(w io.Writer, full bool) int {
	if full || !isTerminal(w) {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	f := w.(*os.File)
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0
	}
	return int(ws.Col)
}

// ellipsize cuts s to width characters, its last one "…" (width 0: s whole).
func ellipsize(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}
