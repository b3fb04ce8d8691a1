//go:build pprof

// A herod built with -tags pprof (tests/bench/run.sh --profile builds one; the Debian package
// never does) serves Go's profiles (net/http/pprof) when HEROD_PPROF_SOCKET names a unix socket
// path: a socket only root reaches (mode 0600, in a directory of root's). Without the variable
// it serves nothing. Read it with:
//
//	curl --unix-socket PATH http://herod/debug/pprof/profile?seconds=10 >cpu.pprof
package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"syscall"
)

// pprofSocketEnv names the socket herod serves its profiles on.
const pprofSocketEnv = "HEROD_PPROF_SOCKET"

func init() {
	path := os.Getenv(pprofSocketEnv)
	if path == "" {
		return
	}
	if err := servePprof(path); err != nil {
		fmt.Fprintf(os.Stderr, "herod: %s: %v\n", pprofSocketEnv, err)
		os.Exit(1)
	}
}

// servePprof listens on path (replacing a socket left there) and serves the profiles.
func servePprof(path string) error {
	_ = os.Remove(path)
	old := syscall.Umask(0o177) // the socket is made 0600 from the start
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return err
	}
	// Blocking and mutex profiles too, at a rate that costs little.
	runtime.SetBlockProfileRate(1_000_000)
	runtime.SetMutexProfileFraction(100)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(l, mux)
	return nil
}
