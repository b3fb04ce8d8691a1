//go:build browser

package browser

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tryCockpit runs 'packaging/try.sh --cockpit' as a user would, on the tier's package, and
// returns the address and password it printed, and end: it closes try.sh's shell (as 'exit'
// does) and waits until try.sh has halted its container. The test's end calls it too.
func tryCockpit(t *testing.T) (url, password string, end func()) {
	t.Helper()
	if bed.deb == "" {
		t.Skip("no package built (the tier reuses a container): run the tier without HERO_BROWSER_MACHINE")
	}
	cmd := exec.Command("bash", filepath.Join(bed.repo, "packaging/try.sh"), "--deb", bed.deb, "--cockpit")
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
					t.Errorf("packaging/try.sh --cockpit ended with %v", err)
				}
			case <-time.After(2 * time.Minute):
				t.Errorf("packaging/try.sh --cockpit did not end within 2 minutes of its shell's end")
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
	address := regexp.MustCompile(`^\s+(http://127\.0\.0\.1:\d+/hero)$`)
	login := regexp.MustCompile(`log in as root with the password (\S+) `)
	deadline := time.After(15 * time.Minute)
	for url == "" || password == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("packaging/try.sh --cockpit ended before it printed an address and a password")
			}
			t.Logf("try.sh: %s", l)
			if m := address.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
			if m := login.FindStringSubmatch(l); m != nil {
				password = m[1]
			}
		case <-deadline:
			t.Fatalf("packaging/try.sh --cockpit printed no address and password within 15 minutes")
		}
	}
	go func() {
		for range lines { // the shell's own output
		}
	}()
	return url, password, end
}

// logIn opens url in a headless chromium of its own, logs in on Cockpit's login page, and waits
// for the "Hero services" page in Cockpit's frame with the six examples.
func logIn(t *testing.T, url, password string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()), chromedp.NoSandbox, chromedp.Headless, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The browser starts with the context it is first used with: this one, not a step's.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", chromiumPath(), err)
	}
	// Cockpit's login.js shows the form (hidden in the HTML) once it handles the button.
	navigate(t, ctx, url, `document.getElementById("login") !== null && !document.getElementById("login").hidden`)
	// The click is left to run after the evaluation: the login replaces the page under it.
	eval[bool](t, ctx, fmt.Sprintf(`document.getElementById("login-user-input").value = "root",
		document.getElementById("login-password-input").value = %s,
		setTimeout(() => document.getElementById("login-button").click(), 0), true`, q(password)))
	waitFor(t, ctx, "the Hero services page after the login", `[...document.querySelectorAll("iframe")].some(f => {
		try { return f.contentDocument && f.contentDocument.querySelectorAll("#services tbody tr").length === 6 } catch (e) { return false }
	})`)
	return ctx
}

// TestTryCockpit: 'packaging/try.sh --cockpit' prints an address on this machine and a login
// that work in a browser here: the login page, then Cockpit's shell with "Hero services" and the
// examples. A second browser (a stray page load) gets a login page of its own and locks nobody
// out: the first one still works after it. When try.sh ends, the address is gone.
func TestTryCockpit(t *testing.T) {
	url, password, end := tryCockpit(t)
	first := logIn(t, url, password)
	screenshot(t, first, "try-cockpit")
	second := logIn(t, url, password)
	screenshot(t, second, "try-cockpit-second-browser")
	navigate(t, first, url, `[...document.querySelectorAll("iframe")].some(f => {
		try { return f.contentDocument && f.contentDocument.querySelectorAll("#services tbody tr").length === 6 } catch (e) { return false }
	})`)
	end()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/hero")
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		c.Close()
		t.Errorf("%s still answers after packaging/try.sh ended", addr)
	}
}
