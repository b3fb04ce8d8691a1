package cli

import (
	"fmt"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/cmd/client"
)

// progress prints one line per service as herod reports its jobs (JobStarted/JobFinished
// signals), to stderr, like systemctl's job output; nothing with -q. Lines the signals missed are
// printed from the reply, so every service gets exactly one.
type progress struct {
	g       *globals
	stop    func()
	mu      sync.Mutex
	printed map[string]bool
	done    chan struct{}
}

func startProgress(c *client.Client, g *globals) *progress {
	p := &progress{g: g, printed: map[string]bool{}, done: make(chan struct{})}
	ch, stop, err := c.Watch()
	if err != nil {
		close(p.done)
		return p
	}
	p.stop = stop
	go func() {
		defer close(p.done)
		for sig := range ch {
			if sig == nil {
				return
			}
			switch sig.Name {
			case api.Interface + "." + api.SignalJobStarted:
				if len(sig.Body) == 2 {
					p.line(fmt.Sprint(sig.Body[0]), fmt.Sprintf("Started %v (job %v).", sig.Body[0], sig.Body[1]))
				}
			case api.Interface + "." + api.SignalJobFinished:
				if len(sig.Body) == 3 {
					verb := map[string]string{"cancelled": "Stopped", "failed": "Failed", "succeeded": "Finished"}[fmt.Sprint(sig.Body[2])]
					if verb == "" {
						verb = "Ended"
					}
					p.line(fmt.Sprint(sig.Body[0]), fmt.Sprintf("%s %v (job %v).", verb, sig.Body[0], sig.Body[1]))
				}
			}
		}
	}()
	return p
}

func (p *progress) line(service, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.printed[service] {
		return
	}
	p.printed[service] = true
	if !p.g.quiet {
		fmt.Fprintln(Stderr, text)
	}
}

// finish waits briefly for the signals of services the reply names, then prints what is missing.
func (p *progress) finish(verb string, services []string) {
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		all := true
		for _, s := range services {
			all = all && p.printed[s]
		}
		p.mu.Unlock()
		if all {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p.stop != nil {
		p.stop()
	}
	for _, s := range services {
		p.line(s, fmt.Sprintf("%s %s.", verb, s))
	}
}
