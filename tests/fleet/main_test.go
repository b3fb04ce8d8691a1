//go:build fleet

// Package fleet is the fleet tier: real Ansible (ansible-core from Debian's archive, on the
// host) with the hero.systemd collection (packaging/ansible, built and installed from its
// tarball) against three testbed containers at once. Each container boots its own systemd with
// python3 (HERO_TESTBED_EXTRA=python3), has the hero-systemd Debian package installed and runs
// sshd; Ansible reaches each sshd through an ssh ProxyCommand that enters the container's
// network namespace (nsenter -n socat), so no traffic leaves the machine. What the tests assert
// is read from each container directly (heroctl and files inside it), not from Ansible.
//
//	CGO_ENABLED=0 go test -count=1 -tags fleet ./tests/fleet/ -v
//
// Needs root and ansible-core, socat on the host (tests/run.sh installs them). HERO_FLEET_DEB
// reuses a built package; HERO_FLEET_TIMING=N adds the fleet timing (N runs per forks setting).
package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// hostCount is how many containers the fleet has.
const hostCount = 3

// host is one container of the fleet, named in the inventory as name.
type host struct {
	name    string // inventory name: h1, h2, ...
	machine string // testbed machine
	leader  string // PID of the container's systemd on the host
}

// env is what every test uses: the fleet, where things are, how to run Ansible.
var env struct {
	src       string   // repository root
	stage     string   // scratch folder of this run
	script    string   // tests/testbed/testbed.sh
	inventory string   // inventory file
	examples  string   // the installed collection's examples/
	ansible   []string // environment for ansible-playbook
	hosts     []host
}

func TestMain(m *testing.M) { os.Exit(runFleet(m)) }

func runFleet(m *testing.M) int {
	if err := checkHost(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 1
	}
	var err error
	if env.src, err = testbed.ModuleRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 1
	}
	env.script = filepath.Join(env.src, "tests", "testbed", "testbed.sh")
	if env.stage, err = os.MkdirTemp("", "hero-fleet-"); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 1
	}
	defer os.RemoveAll(env.stage)
	defer haltAll()
	// An interrupt must still halt the containers.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		haltAll()
		os.RemoveAll(env.stage)
		os.Exit(130)
	}()
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 1
	}
	return m.Run()
}

// checkHost says what is missing on the host, with the command that installs it.
func checkHost() error {
	if os.Geteuid() != 0 {
		return errors.New("the fleet tier boots systemd-nspawn containers and must run as root")
	}
	for _, tool := range []string{"ansible-playbook", "ansible-galaxy", "socat", "nsenter", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing: apt-get install ansible-core socat openssh-client util-linux", tool)
		}
	}
	return nil
}

// setUp builds what the hosts need, boots them and writes the inventory.
func setUp() error {
	started := time.Now()
	pkg := filepath.Join(env.stage, "pkg")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return err
	}
	// The stage is bound into the containers; their users must read it.
	if err := os.Chmod(env.stage, 0o755); err != nil {
		return err
	}
	if err := stagePackage(pkg); err != nil {
		return err
	}
	if err := installCollection(); err != nil {
		return err
	}
	key := filepath.Join(env.stage, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hero-fleet", "-f", key).CombinedOutput(); err != nil {
		return fmt.Errorf("making an ssh key: %v: %s", err, out)
	}
	if err := bootAll(pkg, key+".pub"); err != nil {
		return err
	}
	if err := writeInventory(key); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fleet: %d hosts ready in %s\n", len(env.hosts), time.Since(started).Round(time.Second))
	return nil
}

// stagePackage puts the Debian package (HERO_FLEET_DEB, or one built now) in dir as hero-systemd.deb.
func stagePackage(dir string) error {
	deb := os.Getenv("HERO_FLEET_DEB")
	if deb == "" {
		build := exec.Command("bash", "packaging/deb/build.sh", filepath.Join(env.stage, "dist"))
		build.Dir = env.src
		build.Stderr = os.Stderr
		out, err := build.Output()
		if err != nil {
			return fmt.Errorf("building the Debian package: %w", err)
		}
		deb = strings.TrimSpace(string(out))
	}
	data, err := os.ReadFile(deb)
	if err != nil {
		return fmt.Errorf("reading the Debian package: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "hero-systemd.deb"), data, 0o644)
}

// installCollection builds the collection's tarball and installs it, as a user would.
func installCollection() error {
	build := exec.Command("bash", "packaging/ansible/build.sh", filepath.Join(env.stage, "dist"))
	build.Dir = env.src
	var errs bytes.Buffer
	build.Stderr = &errs
	out, err := build.Output()
	if err != nil {
		return fmt.Errorf("building the collection: %v: %s", err, errs.String())
	}
	tarball := strings.TrimSpace(string(out))
	collections := filepath.Join(env.stage, "collections")
	if out, err := exec.Command("ansible-galaxy", "collection", "install", tarball, "-p", collections).CombinedOutput(); err != nil {
		return fmt.Errorf("installing %s: %v: %s", tarball, err, out)
	}
	env.examples = filepath.Join(collections, "ansible_collections", "hero", "systemd", "examples")
	home := filepath.Join(env.stage, "home")
	env.ansible = append(os.Environ(),
		"ANSIBLE_COLLECTIONS_PATH="+collections,
		"ANSIBLE_HOME="+home,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(home, "cp"),
		"ANSIBLE_HOST_KEY_CHECKING=False",
		"ANSIBLE_PIPELINING=True",
		"ANSIBLE_RETRY_FILES_ENABLED=False",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_CALLBACK_PLUGINS="+filepath.Join(env.src, "tests", "fleet", "callback"),
		"ANSIBLE_STDOUT_CALLBACK=hero_json",
		"ANSIBLE_DEPRECATION_WARNINGS=False",
	)
	return nil
}

// bootAll boots the hosts at once and prepares each: the package, the examples, root's ssh key.
func bootAll(pkg, pubKey string) error {
	env.hosts = make([]host, hostCount)
	errs := make([]error, hostCount)
	var wg sync.WaitGroup
	for i := range env.hosts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			env.hosts[i].name = fmt.Sprintf("h%d", i+1)
			errs[i] = boot(&env.hosts[i], pkg, pubKey)
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func boot(h *host, pkg, pubKey string) error {
	up := exec.Command("bash", env.script, "up", "--bind-ro", pkg+":/opt/hero")
	up.Env = append(os.Environ(), "HERO_TESTBED_EXTRA=python3")
	up.Stderr = os.Stderr
	out, err := up.Output()
	kv := testbed.ParseKV(out)
	h.machine, h.leader = kv["MACHINE"], kv["LEADER"]
	if err != nil || h.machine == "" {
		return fmt.Errorf("%s: booting its container: %v", h.name, err)
	}
	key, err := os.ReadFile(pubKey)
	if err != nil {
		return err
	}
	steps := []struct {
		what  string
		stdin []byte
		cmd   []string
	}{
		{"installing the package", nil, []string{"dpkg", "-i", "/opt/hero/hero-systemd.deb"}},
		{"giving root the ssh key", key, []string{"sh", "-c", "install -d -m 700 /root/.ssh && cat >/root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys"}},
		{"starting sshd", nil, []string{"systemctl", "start", "ssh"}},
	}
	for _, s := range steps {
		if out, err := h.execIn(s.stdin, s.cmd...); err != nil {
			return fmt.Errorf("%s: %s: %v: %s", h.name, s.what, err, out)
		}
	}
	return waitFor(90*time.Second, func() bool {
		out, _ := h.execIn(nil, "systemctl", "is-active", "herod", "ssh")
		return out == "active\nactive\n"
	})
}

// execIn runs cmd inside h's container and returns its combined output.
func (h *host) execIn(stdin []byte, cmd ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", append([]string{env.script, "exec", h.machine, "--"}, cmd...)...)
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	out, err := c.CombinedOutput()
	return string(out), err
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(deadline time.Duration, cond func() bool) error {
	if !testbed.Until(deadline, 200*time.Millisecond, cond) {
		return fmt.Errorf("not ready after %s", deadline)
	}
	return nil
}

// writeInventory writes the group "hero": each host reached through its own network namespace.
func writeInventory(key string) error {
	hosts := map[string]any{}
	for _, h := range env.hosts {
		proxy := fmt.Sprintf(`-o ProxyCommand="nsenter -t %s -n socat - TCP:127.0.0.1:22" -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`, h.leader)
		hosts[h.name] = map[string]any{
			// Never resolved (the ProxyCommand connects), but it names the host for ssh: the
			// ControlPersist socket is per host, port and user, and must not be shared.
			"ansible_host":                 h.name,
			"ansible_user":                 "root",
			"ansible_python_interpreter":   "/usr/bin/python3",
			"ansible_ssh_private_key_file": key,
			"ansible_ssh_common_args":      proxy,
		}
	}
	inv := map[string]any{"hero": map[string]any{"hosts": hosts}}
	data, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	// JSON is YAML: Ansible's yaml inventory plugin reads it (by its .yml name).
	env.inventory = filepath.Join(env.stage, "inventory.yml")
	return os.WriteFile(env.inventory, data, 0o644)
}

var haltOnce sync.Once

// haltAll halts every container this run booted, by its machine name.
func haltAll() {
	haltOnce.Do(func() {
		for _, h := range env.hosts {
			if h.machine != "" {
				_ = exec.Command("bash", env.script, "down", h.machine).Run()
			}
		}
	})
}
