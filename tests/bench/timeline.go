package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// A round's timeline is read back from the journal: systemd's structured records of each unit
// (MESSAGE_ID) and herod's own log lines, so each step of a recovery can be compared with
// native systemd's.

// systemd's MESSAGE_IDs (sd-messages.h) the timelines use.
const (
	msgProcessExit     = "98e322203f7a4ed290d09fe03c09fe15" // main process exited
	msgRestartSchedule = "5eb03494b6584870a536b337290809b3" // automatic restart scheduled
	msgStarting        = "7d4958e842da4a758f6c1cdc7b36dcc5"
	msgStarted         = "39f53479d3a045ac8e11786248231fbf" // its start job is done (ready)
	msgStopping        = "de5b426a63be47a7b6ac3eaac82e2f6f"
	msgStopped         = "9d1aaa27d60140bd96365438aad20286"
)

// markSpec is an event of a timeline: the first record at or after the previous mark of the
// stack service svc with msgID, or (svc "") the first line of herod's log containing text.
type markSpec struct {
	label, svc, msgID, text string
}

// span is a step of a timeline: from one mark to another ("start": the round's beginning,
// "served": the client's first answer). heroOnly spans have no native counterpart.
type span struct {
	label, from, to string
	heroOnly        bool
}

// journalRecord is one journal entry, as much of it as the timelines read.
type journalRecord struct {
	at                         time.Time
	unit, sysUnit, msgID, text string
}

// readJournal reads PID 1's and herod's records since t (after a sync, so they are all there).
func readJournal(ctx context.Context, since time.Time) ([]journalRecord, error) {
	run(ctx, "journalctl", "--sync")
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "journalctl", "--no-pager", "-o", "json", "--since", fmt.Sprintf("@%d.%06d", since.Unix(), since.Nanosecond()/1000),
		"--output-fields=MESSAGE_ID,UNIT,MESSAGE,_SYSTEMD_UNIT", "_PID=1", "+", "_SYSTEMD_UNIT="+herodUnit)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("journalctl: %w", err)
	}
	var recs []journalRecord
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e map[string]any
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		us, err := strconv.ParseInt(str(e["__REALTIME_TIMESTAMP"]), 10, 64)
		if err != nil {
			continue
		}
		recs = append(recs, journalRecord{at: time.UnixMicro(us), unit: str(e["UNIT"]), sysUnit: str(e["_SYSTEMD_UNIT"]),
			msgID: str(e["MESSAGE_ID"]), text: str(e["MESSAGE"])})
	}
	return recs, sc.Err()
}

// str is a journal field as text (journalctl gives binary fields as arrays: those are "").
func str(v any) string {
	s, _ := v.(string)
	return s
}

// marks finds each mark of specs in recs, in order, each at or after the one before (and after
// start); a mark that is not there is missing from the result, and the search goes on from the
// last mark found.
func marks(recs []journalRecord, specs []markSpec, unit func(string) string, start time.Time) map[string]time.Time {
	found := map[string]time.Time{"start": start}
	after := start
	for _, m := range specs {
		for _, r := range recs {
			if r.at.Before(after) || !m.matches(r, unit) {
				continue
			}
			found[m.label] = r.at
			after = r.at
			break
		}
	}
	return found
}

func (m markSpec) matches(r journalRecord, unit func(string) string) bool {
	if m.svc == "" {
		return r.sysUnit == herodUnit && strings.Contains(r.text, m.text)
	}
	return r.unit == unit(m.svc) && r.msgID == m.msgID
}

// spanTimes is each span's length in one round (spans whose marks are missing are left out).
func spanTimes(found map[string]time.Time, spans []span) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range spans {
		from, ok1 := found[s.from]
		to, ok2 := found[s.to]
		if ok1 && ok2 {
			out[s.label] = to.Sub(from)
		}
	}
	return out
}

// The recovery's timeline after kill -9 of PostgreSQL's main process. nginx answers while its
// health check runs (its start job ends when the check passes): the client is served between
// "web starting" and "web started".
var recoveryMarks = []markSpec{
	{label: "pg exited", svc: "spg", msgID: msgProcessExit},
	{label: "pg restart", svc: "spg", msgID: msgRestartSchedule},
	{label: "pg ready", svc: "spg", msgID: msgStarted},
	{label: "revival", text: "their requirements run again"},
	{label: "app starting", svc: "sapp", msgID: msgStarting},
	{label: "app started", svc: "sapp", msgID: msgStarted},
	{label: "web starting", svc: "sweb", msgID: msgStarting},
	{label: "web started", svc: "sweb", msgID: msgStarted},
}

var recoverySpans = []span{
	{label: "after the kill: kill -9 -> systemd schedules PostgreSQL's restart (RestartSec=3s)", from: "start", to: "pg restart"},
	{label: "after the kill: restart scheduled -> PostgreSQL ready (READY=1)", from: "pg restart", to: "pg ready"},
	{label: "after the kill: PostgreSQL ready -> the app's start begins", from: "pg ready", to: "app starting"},
	{label: "after the kill: PostgreSQL ready -> herod's revival begins (its log)", from: "pg ready", to: "revival", heroOnly: true},
	{label: "after the kill: herod's revival begins -> the app's start begins", from: "revival", to: "app starting", heroOnly: true},
	{label: "after the kill: the app's start begins -> the app started", from: "app starting", to: "app started"},
	{label: "after the kill: the app started -> nginx's start begins", from: "app started", to: "web starting"},
	{label: "after the kill: nginx's start begins -> served (the client's next request)", from: "web starting", to: "served"},
	{label: "after the kill: nginx's start begins -> its health check passed (not in the sum)", from: "web starting", to: "web started"},
}

// The apply's timeline after the command began (heroctl apply; systemctl restart).
var applyMarks = []markSpec{
	{label: "web stopping", svc: "sweb", msgID: msgStopping},
	{label: "app stopped", svc: "sapp", msgID: msgStopped},
	{label: "app started", svc: "sapp", msgID: msgStarted},
	{label: "web starting", svc: "sweb", msgID: msgStarting},
	{label: "web started", svc: "sweb", msgID: msgStarted},
}

var applySpans = []span{
	{label: "apply: the command begins -> nginx stopping", from: "start", to: "web stopping"},
	{label: "apply: nginx stopping -> the app stopped", from: "web stopping", to: "app stopped"},
	{label: "apply: the app stopped -> the app started", from: "app stopped", to: "app started"},
	{label: "apply: the app started -> nginx's start begins", from: "app started", to: "web starting"},
	{label: "apply: nginx's start begins -> served with the new value", from: "web starting", to: "served"},
	{label: "apply: nginx's start begins -> its health check passed (not in the sum)", from: "web starting", to: "web started"},
}
