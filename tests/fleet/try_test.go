//go:build fleet

package fleet

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTryHosts: 'packaging/try.sh --hosts 3' prints an inventory and an ansible-playbook line
// that, run on this machine as it is (no environment of the tier's), deploys the example stack
// to its three hosts; run again it changes nothing. When try.sh's shell ends, its hosts are
// halted.
func TestTryHosts(t *testing.T) {
	line, machines, end := tryHosts(t)
	if !regexp.MustCompile(`^cd /\S+ && ansible-playbook -i inventory.ini deploy-stack.yml$`).MatchString(line) {
		t.Fatalf("the printed line %q is not 'cd FOLDER && ansible-playbook -i inventory.ini deploy-stack.yml'", line)
	}
	for i, want := range []string{`changed=[1-9]`, `changed=0 `} {
		out := runLine(t, line)
		for _, h := range []string{"h1", "h2", "h3"} {
			recap := regexp.MustCompile(`(?m)^` + h + `\s+: ok=\d+\s+` + want + `.*unreachable=0\s+failed=0`)
			if !recap.MatchString(out) {
				t.Errorf("run %d of the printed line: %s's recap is not %s, unreachable=0, failed=0:\n%s", i+1, h, want, out)
			}
		}
	}
	end()
	for _, m := range machines {
		if out, _ := exec.Command("bash", env.script, "list").Output(); strings.Contains(string(out), m) {
			t.Errorf("%s is still up after packaging/try.sh ended", m)
		}
	}
}

// runLine runs a printed command line with bash, in an environment without the tier's Ansible
// settings, and returns its output; it fails the test unless it exits 0.
func runLine(t *testing.T, line string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", line)
	cmd.Dir = "/"
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ANSIBLE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	return string(out)
}

// tryHosts runs 'packaging/try.sh --hosts 3' on the tier's package and returns the
// ansible-playbook line and the containers it printed, and end: it closes try.sh's shell (as
// 'exit' does) and waits until try.sh has halted its hosts. The test's end calls it too.
func tryHosts(t *testing.T) (line string, machines []string, end func()) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(env.src, "packaging/try.sh"), "--deb", filepath.Join(env.stage, "pkg", "hero-systemd.deb"), "--hosts", "3")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	var once sync.Once
	end = func() {
		once.Do(func() {
			stdin.Close()
			select {
			case err := <-ended:
				if err != nil {
					t.Errorf("packaging/try.sh --hosts 3 ended with %v", err)
				}
			case <-time.After(2 * time.Minute):
				t.Errorf("packaging/try.sh --hosts 3 did not end within 2 minutes of its shell's end")
				_ = cmd.Process.Kill()
			}
		})
	}
	t.Cleanup(end)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		ended <- cmd.Wait()
	}()
	containers := regexp.MustCompile(`^3 hosts run hero-systemd \(containers ([^)]*)\)`)
	deadline := time.After(15 * time.Minute)
	for line == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("packaging/try.sh --hosts 3 ended before it printed an ansible-playbook line")
			}
			t.Logf("try.sh: %s", l)
			if m := containers.FindStringSubmatch(l); m != nil {
				machines = strings.Fields(m[1])
			}
			if strings.Contains(l, "ansible-playbook") && strings.HasPrefix(strings.TrimSpace(l), "cd ") {
				line = strings.TrimSpace(l)
			}
		case <-deadline:
			t.Fatalf("packaging/try.sh --hosts 3 printed no ansible-playbook line within 15 minutes")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return line, machines, end
}
