package daemon

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// busConfig is a private bus every local user may connect to and call anything on: herod's own
// checks (who is calling, polkit) are what tests of access exercise.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
`

// privateBus starts a dbus-daemon of the test's own and returns its address; it is stopped when
// the test ends. Its socket is in a directory every user can reach (tests call as nobody too).
func privateBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("these tests need dbus-daemon (Debian: apt-get install dbus-daemon): %v", err)
	}
	dir, err := os.MkdirTemp("", "hero-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, filepath.Join(dir, "socket"))), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not print its address within 10s")
	}
	return ""
}

// testDaemon is herod serving its API on a private bus, over a standIn engine and a real ledger.
type testDaemon struct {
	d       *herod
	eng     *standIn
	addr    string
	config  string // the config directory
	c       *client.Client
	ops     *client.Watcher // hears every operation's signals from the start
	stopped chan error
}

// startDaemon writes files (name -> TOML) into a new config directory and starts herod over
// them; it is stopped, and its run's error checked, when the test ends.
func startDaemon(t *testing.T, files map[string]string) *testDaemon {
	t.Helper()
	addr := privateBus(t)
	cfg := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &herod{opts: Options{ConfigDir: cfg, StateDir: t.TempDir(), BusAddress: addr, KeepJobs: 100},
		log: slog.New(slog.DiscardHandler), ctx: ctx}
	set, _, err := d.load()
	if err != nil {
		t.Fatalf("reading %s: %v", cfg, err)
	}
	if d.ledger, err = d.waitForLedger(ctx); err != nil {
		t.Fatal(err)
	}
	if d.signals, err = dbus.Connect(addr); err != nil {
		t.Fatal(err)
	}
	eng := newStandIn(set, d.ledger)
	d.bridge = eng
	td := &testDaemon{d: d, eng: eng, addr: addr, config: cfg, stopped: make(chan error, 1)}
	go func() { td.stopped <- d.run(ctx, set) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-td.stopped:
			if err != nil {
				t.Errorf("herod's run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("herod did not stop within 10s of its context's end")
		}
		d.signals.Close()
		d.ledger.Close()
	})
	td.c = td.dial(t)
	if td.ops, err = td.c.WatchOperations(); err != nil {
		t.Fatal(err)
	}
	return td
}

// dial connects a client, once herod owns its name (it claims it last, once it serves).
func (td *testDaemon) dial(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), false, td.addr) // its context is the connection's life
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		err := c.Reach(ctx)
		if err == nil {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("herod never answered on its bus: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits for an operation's end from its signals, as heroctl does.
func (td *testDaemon) wait(t *testing.T, q client.Queued) client.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := td.ops.Wait(ctx, q.Operation, nil)
	if err != nil {
		t.Fatalf("operation %d: %v", q.Operation, err)
	}
	return o
}

// errName is the D-Bus error name of err ("" for nil; the message for an error of no name).
func errName(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := client.AsError(err); ok {
		return e.Name
	}
	return err.Error()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// queued is an operation id as client.Queued, for wait.
func queued(op uint64) client.Queued { return client.Queued{Operation: op} }
