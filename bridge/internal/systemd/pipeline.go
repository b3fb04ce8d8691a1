package systemd

import (
	"context"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Pipeline creates transient units with StartTransientUnit calls sent before any reply is read,
// as systemd's own clients do, and reads the replies in the order the calls were sent: systemd
// handles one connection's calls in order, so a unit's dependencies, sent before it, are loaded
// when its own call is handled. The caller claims the result of each job a reply names (Claim).
type Pipeline struct {
	c           *Client
	ctx         context.Context
	mode        string
	closeWindow func()
	sent        []sentCall // calls whose replies are not read yet, oldest first
	lastReply   time.Time  // when the last reply came
}

type sentCall struct {
	tag    int
	unit   string
	call   *dbus.Call
	cancel context.CancelFunc
	sent   time.Time
}

// Reply is a pipelined call's outcome: the job it queued, or its error.
type Reply struct {
	Tag  int // the caller's tag of the call (Send)
	Unit string
	Job  dbus.ObjectPath
	Err  error
}

// pipelineDepth is how many calls a pipeline has in flight at most: the bus refuses more than
// max_replies_per_connection (128 on Debian's system bus) awaiting replies from one connection.
const pipelineDepth = 64

// QueuedJobsMax is how many of an operation's jobs may be queued in systemd at once. systemd
// tracks the client of every job it queued from the system bus with a match rule on its own bus
// connection, and dbus-daemon allows a connection 512 (max_match_rules_per_connection). With
// 5,000 jobs queued by one start, dbus-daemon refused systemd those rules, systemd left the bus
// and came back, and every signal of that moment was lost.
const QueuedJobsMax = 256

// Pipeline begins a pipeline of starts in job mode mode; Close ends it.
func (c *Client) Pipeline(ctx context.Context, mode string) *Pipeline {
	return &Pipeline{c: c, ctx: ctx, mode: mode, closeWindow: c.jobs.open()}
}

// Send sends the StartTransientUnit call of unit (tag is the caller's name for it). When
// pipelineDepth calls are in flight, the oldest reply is read first and returned.
func (p *Pipeline) Send(tag int, unit string, props []sddbus.Property) (Reply, bool) {
	var r Reply
	read := false
	if len(p.sent) >= pipelineDepth {
		r, read = p.Next()
	}
	// No deadline of its own: a reply waits behind those of the calls before it, so its deadline
	// runs from the last reply (Next).
	ctx, cancel := context.WithCancel(p.ctx)
	p.sent = append(p.sent, sentCall{tag: tag, unit: unit, call: p.c.sendStartTransient(ctx, unit, p.mode, props), cancel: cancel, sent: time.Now()})
	return r, read
}

// Next reads the oldest unread reply (false: none is left). systemd answers a connection's calls
// in order, and with thousands of units starting it may take long to answer the last of 64: a
// call fails only when no reply at all came for CallTimeout (since the previous reply, or since
// it was sent if later), not when its own wait was long.
func (p *Pipeline) Next() (Reply, bool) {
	if len(p.sent) == 0 {
		return Reply{}, false
	}
	s := p.sent[0]
	p.sent = p.sent[1:]
	since := s.sent
	if p.lastReply.After(since) {
		since = p.lastReply
	}
	deadline := time.NewTimer(time.Until(since.Add(CallTimeout)))
	select {
	case <-s.call.Done:
	case <-deadline.C:
		s.cancel()
		<-s.call.Done
	}
	deadline.Stop()
	s.cancel()
	p.lastReply = time.Now()
	job, err := jobOf(s.call)
	return Reply{Tag: s.tag, Unit: s.unit, Job: job, Err: err}, true
}

// Claim hands the result of a job a reply named to deliver (which must not block): at once if
// the job ended already (the pipeline keeps the results of its jobs until Close), else when it
// ends.
func (p *Pipeline) Claim(job dbus.ObjectPath, deliver func(string)) { p.c.jobs.claim(job, deliver) }

// Close ends the pipeline: the results of its jobs no longer claimed are not kept. Every reply
// must have been read.
func (p *Pipeline) Close() { p.closeWindow() }
