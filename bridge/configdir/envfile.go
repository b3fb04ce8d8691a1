package configdir

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// A service's env_file is read by systemd, as root, each time a command of the service starts:
// what it sets reaches the service's programs (LD_PRELOAD included), so it is held to the rule
// of the service files themselves (see Trust): the file and every directory on its way owned by
// root (or the reader) and writable by no one else.

// CheckEnvFile reports why path cannot be a service's env_file: it is missing, not a regular
// file, or someone other than root (or the reader) could change it or a directory on its way
// (an *UntrustedError). Symlinks are followed one step at a time, each directory checked.
func CheckEnvFile(path string, trust Trust) error {
	resolved, _, err := newResolver(trust).resolve(path)
	if err != nil {
		return err
	}
	var st syscall.Stat_t
	if err := syscall.Stat(resolved, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: resolved, Err: err}
	}
	if kind := fileKind(st.Mode); kind != "" {
		return fmt.Errorf("%s is not a regular file but %s", resolved, kind)
	}
	return trust.Check(resolved, permOf(&st), false)
}

// envFileProblem is the problem of s's env_file, nil when it may be used. A caller other than
// root that may not even look at the file's directory cannot tell: that is left to herod.
func envFileProblem(s *config.Service, trust Trust) *config.Problem {
	if s == nil || s.Daemon.EnvFile == "" {
		return nil
	}
	err := CheckEnvFile(s.Daemon.EnvFile, trust)
	if err == nil || errors.Is(err, fs.ErrPermission) && trust.Self != 0 {
		return nil
	}
	return EnvFileProblem(s, err)
}

// EnvFileProblem is err, the outcome of CheckEnvFile on s's env_file, as a problem of s's file.
func EnvFileProblem(s *config.Service, err error) *config.Problem {
	kind := "cannot be used: it does not exist, is not a regular file, or cannot be read"
	switch {
	case errors.Is(err, ErrUntrusted):
		kind = "untrusted: someone other than root could change it or a directory on its way; systemd reads it as root for every command of the service"
	case errors.Is(err, fs.ErrNotExist):
		kind = "does not exist"
	}
	msg := fmt.Sprintf("%v", err)
	if errors.Is(err, fs.ErrNotExist) {
		msg = fmt.Sprintf("%s does not exist: systemd would refuse to start the service", s.Daemon.EnvFile)
	}
	return &config.Problem{File: s.File, Line: s.Daemon.EnvFileLine, Key: "env_file", Message: msg, Kind: kind}
}
