package bridge

import "sync"

// events hands the events of the bridge (the recorder's runs, its own state and wait changes)
// first to herod's own reaction (the reviver, set once at construction), then to the daemon's
// function (OnEvent).
type events struct {
	mu      sync.RWMutex
	observe func(Event) // set before any event comes; never blocks
	send    func(Event)
}

// emit hands e on, after the change it reports is recorded.
func (ev *events) emit(e Event) {
	ev.mu.RLock()
	observe, send := ev.observe, ev.send
	ev.mu.RUnlock()
	if observe != nil {
		observe(e)
	}
	if send != nil {
		send(e)
	}
}

// onEvent sets the daemon's function.
func (ev *events) onEvent(fn func(Event)) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.send = fn
}

// observeWith sets herod's own reaction.
func (ev *events) observeWith(fn func(Event)) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.observe = fn
}
