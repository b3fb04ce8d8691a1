package bridge

import "sync"

// applyPending is what the last apply could not start again (its new definition failed): the
// next apply starts it, unless it was stopped on purpose since.
type applyPending struct {
	mu    sync.Mutex
	names map[string]bool
}

// get returns (a copy of) the services the last apply could not start again.
func (p *applyPending) get() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]bool, len(p.names))
	for n := range p.names {
		out[n] = true
	}
	return out
}

// set records what an apply could not start again.
func (p *applyPending) set(failed []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = map[string]bool{}
	for _, n := range failed {
		p.names[n] = true
	}
}

// drop forgets names: they were stopped on purpose since.
func (p *applyPending) drop(names ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range names {
		delete(p.names, n)
	}
}
