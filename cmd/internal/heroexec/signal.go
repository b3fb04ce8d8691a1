package heroexec

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// runSignal sends the named signal to the service's main process, systemd's $MAINPID (set for
// ExecReload= commands): what reload_signal does, since systemd 252 has no ReloadSignal=. The
// PID is opened as a pidfd and signalled through it, so that a process that ended meanwhile and
// whose PID was given to another is never signalled (the signal then fails with ESRCH).
func runSignal(name, mainPID string, stderr io.Writer) int {
	canon, num, err := config.ParseSignal(name)
	if err != nil {
		fmt.Fprintf(stderr, "hero-exec: signal: %v\n", err)
		return exitBadSpec
	}
	pid, err := strconv.Atoi(mainPID)
	if err != nil || pid <= 1 {
		fmt.Fprintf(stderr, "hero-exec: signal: the service has no main process to send %s to ($MAINPID is %q)\n", canon, mainPID)
		return exitSignal
	}
	if err := sendSignal(pid, syscall.Signal(num)); err != nil {
		fmt.Fprintf(stderr, "hero-exec: sending %s to the main process %d: %v\n", canon, pid, err)
		return exitSignal
	}
	return 0
}

// sendSignal signals pid through a pidfd; without pidfds (a kernel before 5.3) it falls back to
// kill(2).
func sendSignal(pid int, sig syscall.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		return syscall.Kill(pid, sig)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
