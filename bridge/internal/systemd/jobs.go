package systemd

import (
	"sync"

	"github.com/godbus/dbus/v5"
)

// jobWatch hands systemd's job results (its JobRemoved signals: job id, job path, unit, result)
// to the callers waiting for them. A job can end before its caller has read the reply that
// names it (a pipelined start sends many calls before it reads a reply; a signal and a reply
// reach their readers on different goroutines): while a call is under way (a window is open),
// results nobody claimed yet are kept until claimed.
type jobWatch struct {
	in chan *dbus.Signal

	mu      sync.Mutex
	windows int
	ended   map[dbus.ObjectPath]string       // results not claimed yet, kept while a window is open
	waiting map[dbus.ObjectPath]func(string) // claimed before their job ended: hand the result on (must not block)
}

// systemd's manager on the bus, and its signal of a job's end.
const (
	busName          = "org.freedesktop.systemd1"
	managerPath      = "/org/freedesktop/systemd1"
	managerInterface = "org.freedesktop.systemd1.Manager"
	jobRemoved       = managerInterface + ".JobRemoved"
)

// watchJobs subscribes to systemd's JobRemoved signals on bus and hands them on (bus nil: a
// watch fed by its in channel alone, for tests).
func watchJobs(bus *dbus.Conn) (*jobWatch, error) {
	w := &jobWatch{in: make(chan *dbus.Signal, 4096), ended: map[dbus.ObjectPath]string{}, waiting: map[dbus.ObjectPath]func(string){}}
	if bus != nil {
		err := bus.AddMatchSignal(dbus.WithMatchSender(busName), dbus.WithMatchInterface(managerInterface), dbus.WithMatchMember("JobRemoved"))
		if err != nil {
			return nil, err
		}
		bus.Signal(w.in)
	}
	go w.run()
	return w, nil
}

// run reads the connection's signals (every signal the connection receives comes here too; only
// JobRemoved is kept) until the connection closes.
func (w *jobWatch) run() {
	for s := range w.in {
		if s == nil {
			return
		}
		if s.Name != jobRemoved || len(s.Body) < 4 {
			continue
		}
		path, _ := s.Body[1].(dbus.ObjectPath)
		result, _ := s.Body[3].(string)
		w.mu.Lock()
		if deliver, ok := w.waiting[path]; ok {
			delete(w.waiting, path)
			deliver(result)
		} else if w.windows > 0 {
			w.ended[path] = result
		}
		w.mu.Unlock()
	}
}

// open keeps results from now on, until the returned function is called.
func (w *jobWatch) open() (close func()) {
	w.mu.Lock()
	w.windows++
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.windows--; w.windows == 0 {
			clear(w.ended)
		}
	}
}

// claim calls deliver with the job's result: at once when it already ended (inside a window),
// else when it ends. deliver must not block.
func (w *jobWatch) claim(job dbus.ObjectPath, deliver func(string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.ended[job]; ok {
		delete(w.ended, job)
		deliver(r)
		return
	}
	w.waiting[job] = deliver
}

// release drops the claims of jobs whose await is over (settled without their signal, or given
// up): their signal, should it still come, is no longer handed on.
func (w *jobWatch) release(jobs []dbus.ObjectPath) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, j := range jobs {
		delete(w.waiting, j)
	}
}
