package cli

import (
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// pkttyagent is polkit's text authentication agent (Debian: polkitd). heroctl runs it the way
// systemctl does, so polkit can ask for a password on the terminal heroctl runs in.
const pkttyagent = "/usr/bin/pkttyagent"

// verbMethods are the verbs that call one of herod's methods that change services (edit
// reloads herod after writing the file), with that method.
var verbMethods = map[string]string{
	"start": api.MethodStartMany, "stop": api.MethodStopMany, "restart": api.MethodRestart, "reload": api.MethodReloadService, "kill": api.MethodKill,
	"reset-failed": api.MethodResetFailed, "daemon-reload": api.MethodReload, "enable": api.MethodEnable,
	"disable": api.MethodDisable, "edit": api.MethodReload, "apply": api.MethodApply,
}

// privileged reports whether verb changes services: herod asks polkit about callers other than
// root for the methods api.Mutating names.
func privileged(verb string) bool { return api.Mutating[verbMethods[verb]] }

// interactive reports whether polkit may ask for a password: heroctl runs on a terminal (its
// input is one) and --no-ask-password was not given.
func (g *globals) interactive() bool { return !g.noAskPassword && isTerminal(os.Stdin) }

// openAgent starts pkttyagent for a verb that changes services, as systemctl does
// (polkit_agent_open): only for a local herod, a caller who is not root, on a terminal, without
// --no-ask-password, and only if polkit is installed. It returns once the agent registered
// (it closes the notify pipe) or gave up; --fallback leaves a desktop's agent in charge.
func (g *globals) openAgent() {
	if g.agent != nil || g.host != "" || os.Geteuid() == 0 || !g.interactive() {
		return
	}
	if _, err := os.Stat(pkttyagent); err != nil {
		return
	}
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	defer r.Close()
	cmd := exec.Command(pkttyagent, "--notify-fd", "3", "--fallback")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return
	}
	g.agent = cmd
	// The agent closes its end once it is registered; a read then returns EOF.
	done := make(chan struct{})
	go func() { r.Read(make([]byte, 1)); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// closeAgent stops the agent openAgent started.
func (g *globals) closeAgent() {
	if g.agent == nil {
		return
	}
	g.agent.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { g.agent.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		g.agent.Process.Kill()
		<-done
	}
	g.agent = nil
}
