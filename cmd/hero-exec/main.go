// Command hero-exec runs one command of a hero service exactly as its config wrote it: the
// command comes as one base64url argument (see unitgen/execspec), which systemd keeps intact
// where it would rewrite "$" and ";" (systemd 252, after daemon-reload). It runs as the
// service's own user, with no privilege of its own, and execs the command in its place (same
// PID), or, for a health check, runs it until it succeeds, or, for a reload signal, sends it to
// the service's main process.
//
//	hero-exec exec SPEC      set the spec's environment and directory, then exec its argv
//	hero-exec health SPEC    run the check every interval until it succeeds or the timeout passes;
//	                         then, with a liveness check, leave the liveness loop in the background
//	hero-exec liveness SPEC  the liveness loop: check every interval, feed systemd's watchdog
//	hero-exec signal SIGNAL  send SIGNAL to the main process ($MAINPID), through a pidfd
package main

import (
	"fmt"
	"os"

	"github.com/hero-systemd/hero-systemd/cmd/internal/heroexec"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: hero-exec exec|health|liveness|signal SPEC (hero-exec is run by hero's units, not by hand)")
		os.Exit(heroexec.ExitUsage)
	}
	os.Exit(heroexec.Run(os.Args[1], os.Args[2], os.Stdout, os.Stderr))
}
