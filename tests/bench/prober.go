package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// prober is the recovery section's client: a GET through nginx every probeEvery, each on a
// new connection (as separate clients would), recording when each began and whether it was
// served.
type prober struct {
	url    string
	client *http.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	samples []probe
}

// probe is one request of the client.
type probe struct {
	at   time.Time // when it was sent
	ok   bool      // 200 with the stack's whole answer (PostgreSQL and Redis both answered)
	body string
}

// probeEvery is the client's pace: a request every 50 ms (the next one waits for the last).
const probeEvery = 50 * time.Millisecond

// probeTimeout bounds one request: a stack that does not answer within it is not serving.
const probeTimeout = time.Second

func startProber(ctx context.Context, url string) *prober {
	ctx, cancel := context.WithCancel(ctx)
	p := &prober{url: url, cancel: cancel, done: make(chan struct{}),
		client: &http.Client{Timeout: probeTimeout, Transport: &http.Transport{DisableKeepAlives: true}}}
	go p.run(ctx)
	return p
}

func (p *prober) run(ctx context.Context) {
	defer close(p.done)
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		s := p.once(ctx)
		p.mu.Lock()
		p.samples = append(p.samples, s)
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p *prober) once(ctx context.Context) probe {
	s := probe{at: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return s
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s.body = strings.TrimSpace(string(data))
	s.ok = resp.StatusCode == http.StatusOK && strings.HasPrefix(s.body, servingPrefix)
	return s
}

// since returns the samples sent at or after t.
func (p *prober) since(t time.Time) []probe {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []probe
	for _, s := range p.samples {
		if !s.at.Before(t) {
			out = append(out, s)
		}
	}
	return out
}

// stop ends the client and waits for its last request.
func (p *prober) stop() {
	p.cancel()
	<-p.done
}

// outage is what the client saw after an event: the first request that failed, the first one
// after it that was served again, and the first one served with want in its answer (the new
// value after an apply; "" for any).
type outage struct {
	firstFail, served, servedWant time.Time // zero: none
	failed                        int       // requests that failed
}

func outageOf(samples []probe, want string) outage {
	var o outage
	for _, s := range samples {
		if !s.ok {
			if o.firstFail.IsZero() {
				o.firstFail = s.at
			}
			o.failed++
			continue
		}
		if !o.firstFail.IsZero() && o.served.IsZero() {
			o.served = s.at
		}
		if o.servedWant.IsZero() && strings.Contains(s.body, want) {
			o.servedWant = s.at
		}
	}
	return o
}

// window is how long requests failed: from the first that failed to the first served again
// (0 when none failed).
func (o outage) window() time.Duration {
	if o.firstFail.IsZero() {
		return 0
	}
	return o.served.Sub(o.firstFail)
}
