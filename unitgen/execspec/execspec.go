// Package execspec encodes a command for hero-exec, hero's tiny exec helper, as one argument
// made of characters that systemd keeps as they are.
//
// Why: systemd 252 (Debian 12) writes a transient unit's Exec*= arguments to
// /run/systemd/transient with "$" and ";" escaped as "\$" and "\;", and reads them back on
// daemon-reload or daemon-reexec without removing the backslash: after the next reload (every
// package install runs one), a command with "$" or ";" in an argument (any shell script) would
// run with different bytes. An argument of base64url characters survives that round trip, and
// hero-exec decodes it and execs the command itself: no shell, no expansion, the exact bytes.
package execspec

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Spec is a command as hero-exec runs it. Config values are UTF-8 text (both config formats
// require it, and validation refuses NUL), which JSON carries exactly.
type Spec struct {
	Argv  []string          `json:"argv"`            // the program and its arguments, as written
	Env   map[string]string `json:"env,omitempty"`   // variables to set (over the unit's)
	Unset []string          `json:"unset,omitempty"` // variables to remove
	Dir   string            `json:"dir,omitempty"`   // working directory, when not the unit's
	// EnvFrom names the variable that carries more variables to set, base64url JSON as Encode
	// writes a map: a pre-action's own environment, which stays out of the unit (whose
	// properties every user may read) in herod's root-only environment file.
	EnvFrom string `json:"env_from,omitempty"`
}

// PreEnvPrefix starts the names of the variables that carry pre-actions' environments
// (Spec.EnvFrom). hero-exec removes every one of them before it runs any command, so no
// command sees another's variables.
const PreEnvPrefix = "HERO_PRE_ENV_"

// Health is a health check as hero-exec runs it: Argv again and again until it succeeds, then
// (with Liveness) the liveness loop, left behind in the service's cgroup. Without Argv there is
// no health check: the liveness loop begins at once.
type Health struct {
	Argv       []string      `json:"argv"`
	Interval   time.Duration `json:"interval"`           // between attempts
	Timeout    time.Duration `json:"timeout"`            // give up after this long
	Identifier string        `json:"identifier"`         // the journal identifier of its lines
	Liveness   *Liveness     `json:"liveness,omitempty"` // what runs once the service is healthy
}

// Liveness is a liveness check as hero-exec runs it: Argv every Interval (each run bounded by
// Interval) for as long as the service's main process runs. Each success feeds systemd's
// watchdog (WATCHDOG=1); after Failures failures in a row it asks systemd's watchdog to act
// (WATCHDOG=trigger). STATUS= tells systemd (StatusText) whether the service is healthy.
type Liveness struct {
	Argv       []string      `json:"argv"`
	Interval   time.Duration `json:"interval"`
	Failures   int           `json:"failures"`
	Identifier string        `json:"identifier"` // the journal identifier of its lines
}

// Healthy is the StatusText a liveness loop sets while its checks pass; Unhealthy starts the
// one it sets while they fail ("unhealthy: 2 of 3 checks failed (exit status 1)").
const (
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
)

// LivenessGaveUp starts the line a liveness loop writes when it asks systemd's watchdog to kill
// the service.
const LivenessGaveUp = "liveness check failed"

// HealthGaveUp starts the line a health check writes when it gives up.
const HealthGaveUp = "health check did not pass"

// HealthMainExited starts the line a health check writes when the service's main process ended
// before the check passed: the loop stops at once, and the start fails with the service's own
// exit status or signal.
const HealthMainExited = "the service's main process exited before its health check passed"

// Encode writes v as one base64url argument.
func Encode(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("execspec: %v", err)) // plain data: cannot fail
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// Decode reads an argument Encode wrote into v.
func Decode(arg string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(arg)
	if err != nil {
		return fmt.Errorf("decoding the command: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding the command: %w", err)
	}
	return nil
}

// Validate checks a decoded Spec.
func (s Spec) Validate() error {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return errors.New("no program to run")
	}
	return nil
}

// NeedsHelper reports whether argv must go through hero-exec to reach the program unchanged
// (see the package comment), or may be an Exec*= line of its own.
func NeedsHelper(argv []string) bool {
	for _, a := range argv {
		if strings.ContainsAny(a, "$;") {
			return true
		}
	}
	return false
}
