package systemd

import (
	"sync"

	"github.com/godbus/dbus/v5"
)

// NewSignalHandler returns a godbus signal handler that hands every signal to every channel
// registered with the connection's Signal, in the order they came, queueing without bound for a
// reader that is behind, at a constant cost per signal. godbus's own handlers either give up the
// order (the default one hands each signal a full channel cannot take to a goroutine of its own)
// or shift the whole queue for each signal taken (the sequential one: with tens of thousands of
// signals queued behind a slow reader, as thousands of starts make, the connection's reader,
// which also reads the replies of the pipelined calls, waits on that copying).
func NewSignalHandler() dbus.SignalHandler { return &signalHandler{} }

type signalHandler struct {
	mu     sync.RWMutex
	closed bool
	queues []*signalQueue
}

func (h *signalHandler) DeliverSignal(_, _ string, s *dbus.Signal) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return
	}
	for _, q := range h.queues {
		q.push(s)
	}
}

func (h *signalHandler) AddSignal(ch chan<- *dbus.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	q := &signalQueue{ch: ch, done: make(chan struct{}), exited: make(chan struct{})}
	q.ready = sync.NewCond(&q.mu)
	h.queues = append(h.queues, q)
	go q.run()
}

func (h *signalHandler) RemoveSignal(ch chan<- *dbus.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.queues[:0]
	for _, q := range h.queues {
		if q.ch == ch {
			q.close()
			continue
		}
		kept = append(kept, q)
	}
	clear(h.queues[len(kept):])
	h.queues = kept
}

// Terminate stops every queue and closes its channel: the connection closed.
func (h *signalHandler) Terminate() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, q := range h.queues {
		q.close()
		close(q.ch)
	}
	h.queues = nil
}

// signalQueue hands the signals pushed to it on to ch, in order, from a goroutine of its own.
type signalQueue struct {
	ch     chan<- *dbus.Signal
	done   chan struct{} // closed: stop handing on
	exited chan struct{} // closed when run returned: nothing is sent on ch any more

	mu     sync.Mutex
	ready  *sync.Cond
	queue  []*dbus.Signal
	head   int // queue[head:] are waiting
	closed bool
}

func (q *signalQueue) push(s *dbus.Signal) {
	q.mu.Lock()
	q.queue = append(q.queue, s)
	q.mu.Unlock()
	q.ready.Signal()
}

// next waits for the oldest waiting signal; nil once the queue is closed.
func (q *signalQueue) next() *dbus.Signal {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.queue) && !q.closed {
		q.ready.Wait()
	}
	if q.closed {
		return nil
	}
	s := q.queue[q.head]
	q.queue[q.head] = nil
	q.head++
	if q.head == len(q.queue) {
		q.queue, q.head = q.queue[:0], 0
	} else if q.head > 1024 && q.head > len(q.queue)/2 {
		// Shift the waiting half down once the taken half is the larger: each signal is moved
		// at most once per halving, a constant cost per signal.
		n := copy(q.queue, q.queue[q.head:])
		clear(q.queue[n:])
		q.queue, q.head = q.queue[:n], 0
	}
	return s
}

func (q *signalQueue) run() {
	defer close(q.exited)
	for {
		s := q.next()
		if s == nil {
			return
		}
		select {
		case q.ch <- s:
		case <-q.done:
			return
		}
	}
}

// close stops the queue (what is still waiting is dropped) and returns once nothing is sent on
// its channel any more.
func (q *signalQueue) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.done)
	}
	q.mu.Unlock()
	q.ready.Broadcast()
	<-q.exited
}
