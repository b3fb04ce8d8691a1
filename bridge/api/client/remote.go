package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// stdioBridge is the program ssh runs on the remote host: systemd's systemd-stdio-bridge(1)
// speaks the remote system bus on its stdin and stdout (Debian 12 ships it with systemd).
const stdioBridge = "systemd-stdio-bridge"

// DialHost connects to herod on another host the way systemctl -H does: ssh runs
// systemd-stdio-bridge there, and the D-Bus connection runs over its stdin and stdout. host is
// [USER@]HOST[:PORT] (an IPv6 address in brackets). ssh's own messages (host keys, password
// prompts, connection errors) go to stderr. $SYSTEMD_SSH names another ssh, as for systemctl.
func DialHost(ctx context.Context, host string, stderr io.Writer) (*Client, error) {
	args, err := SSHArgs(host)
	if err != nil {
		return nil, &Error{Name: ErrNoBus, Message: err.Error()}
	}
	ssh := os.Getenv("SYSTEMD_SSH")
	if ssh == "" {
		ssh = "ssh"
	}
	cmd := exec.Command(ssh, args...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, &Error{Name: ErrNoBus, Message: err.Error()}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, &Error{Name: ErrNoBus, Message: err.Error()}
	}
	if err := cmd.Start(); err != nil {
		return nil, &Error{Name: ErrNoBus, Message: fmt.Sprintf("running %s: %v", ssh, err)}
	}
	pipe := &sshPipe{in: in, out: out, cmd: cmd}
	c := &Client{CallTimeout: defaultCallTimeout}
	conn, err := dbus.NewConn(pipe, c.connOptions(ctx)...)
	if err == nil {
		// The bridge's end is a server that accepts any client (it is the remote user's own
		// process, reached through ssh's authentication); EXTERNAL as sd-bus sends it.
		err = conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Geteuid())), dbus.AuthAnonymous()})
		if err == nil {
			err = conn.Hello()
		}
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		} else {
			pipe.Close()
		}
		return nil, &Error{Name: ErrNoBus, Message: fmt.Sprintf("%s %s %s: %v%s", ssh, host, stdioBridge, err, pipe.exitStatus())}
	}
	c.conn, c.obj = conn, conn.Object(api.BusName, api.Path)
	return c, nil
}

// SSHArgs are ssh's arguments for reaching host's system bus, as systemctl -H passes them:
// no X11 forwarding, no terminal, the host after "--" so it is never read as an option.
func SSHArgs(host string) ([]string, error) {
	target, port, err := SplitHost(host)
	if err != nil {
		return nil, err
	}
	args := []string{"-xT"}
	if port != "" {
		args = append(args, "-p", port)
	}
	return append(args, "--", target, stdioBridge), nil
}

// SplitHost splits [USER@]HOST[:PORT] into what ssh takes as its destination and the port.
func SplitHost(host string) (target, port string, err error) {
	if host == "" || strings.ContainsAny(host, " \t\n/") {
		return "", "", fmt.Errorf("-H %q: want [USER@]HOST[:PORT]", host)
	}
	user, addr, hasUser := strings.Cut(host, "@")
	if !hasUser {
		user, addr = "", host
	}
	if strings.HasPrefix(addr, "[") { // [IPv6]:PORT
		end := strings.Index(addr, "]")
		if end < 0 {
			return "", "", fmt.Errorf("-H %q: unclosed [", host)
		}
		rest := addr[end+1:]
		addr = addr[1:end]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return "", "", fmt.Errorf("-H %q: want [ADDRESS]:PORT", host)
			}
			port = p
		}
	} else if h, p, ok := strings.Cut(addr, ":"); ok && !strings.Contains(p, ":") {
		addr, port = h, p
	}
	if addr == "" || hasUser && user == "" || strings.HasPrefix(addr, "-") || strings.HasPrefix(user, "-") {
		return "", "", fmt.Errorf("-H %q: want [USER@]HOST[:PORT]", host)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("-H %q: port %q is not 1..65535", host, port)
		}
	}
	if hasUser {
		return user + "@" + addr, port, nil
	}
	return addr, port, nil
}

// sshPipe is the D-Bus transport: ssh's stdin and stdout.
type sshPipe struct {
	in   io.WriteCloser
	out  io.ReadCloser
	cmd  *exec.Cmd
	done error // ssh's exit, once Close waited for it
}

func (p *sshPipe) Read(b []byte) (int, error)  { return p.out.Read(b) }
func (p *sshPipe) Write(b []byte) (int, error) { return p.in.Write(b) }

// Close ends the bridge (its stdin closes, so it exits) and waits a moment for ssh to end,
// killing it if it does not.
func (p *sshPipe) Close() error {
	p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case p.done = <-done:
	case <-time.After(2 * time.Second):
		p.cmd.Process.Kill()
		p.done = <-done
	}
	return nil
}

// exitStatus describes how ssh ended, when it did: why the bridge never answered.
func (p *sshPipe) exitStatus() string {
	var ee *exec.ExitError
	if errors.As(p.done, &ee) {
		return fmt.Sprintf(" (ssh %s)", ee.ProcessState)
	}
	return ""
}
