package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newLogsCmd) }

type logsArgs struct {
	job    int64
	follow bool
	lines  int
	since  string
	format string
}

func newLogsCmd(g *globals) *cobra.Command {
	var a logsArgs
	cmd := &cobra.Command{
		Use:   "logs NAME [--job ID] [-f] [-n LINES] [--since TIME] [-o short|cat|json]",
		Short: "Print what a service's run wrote (its journal lines)",
		Long: `logs prints the output (stdout and stderr) of a service's latest run, or of job ID with
--job, as journalctl does: with timestamps (-o short, the default), the messages alone (-o cat)
or journal fields as JSON lines (-o json). The lines come from the journal while the run goes
on; once it ended, from the tail (the last 64 KiB) herod copied into its job, so a crash's
output stays readable after stops and journal rotation. systemd's own messages about the run
are shown too (identifier systemd), and a health check that gave up shows its last attempt
under NAME-health. -n shows the last LINES lines; --since TIME only lines from then on
("2026-11-25 10:00", "10:00", "-5m", "today"); -f follows the service, run after run, until
Ctrl-C. Output is what services wrote: only root and members of the groups adm and
systemd-journal may read it. On a terminal, control characters are escaped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.job < 0 {
				return exitWith(ExitFailure, fmt.Errorf("--job must be a job id"))
			}
			if a.lines < 0 {
				return exitWith(ExitFailure, fmt.Errorf("--lines must be 0 or more"))
			}
			switch a.format {
			case "short", "cat", "json":
			default:
				return exitWith(ExitFailure, fmt.Errorf("--output must be short, cat or json, not %q", a.format))
			}
			since, err := parseSince(a.since, time.Now())
			if err != nil {
				return exitWith(ExitFailure, err)
			}
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				p := linePrinter{format: a.format, escape: isTerminal(Stdout), since: since, host: hostName(g)}
				if a.follow {
					return followLogs(ctx, c, args[0], a, &p)
				}
				_, lines, err := c.JobLog(ctx, args[0], a.job, uint32(a.lines))
				if err != nil {
					return adviseFor(g, err)
				}
				for _, l := range lines {
					p.print(l)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.Int64Var(&a.job, "job", 0, "the job to show (default: the latest)")
	f.BoolVarP(&a.follow, "follow", "f", false, "keep printing new lines, run after run, until Ctrl-C")
	f.IntVarP(&a.lines, "lines", "n", 0, "show the last LINES lines (default: all kept; 10 with -f)")
	f.StringVar(&a.since, "since", "", "only lines from this time on")
	f.StringVarP(&a.format, "output", "o", "short", "short, cat or json")
	return cmd
}

// followPoll is how often -f asks herod for new lines.
const followPoll = 500 * time.Millisecond

// followLogs prints the latest run's last lines, then new lines as they come, moving on to the
// next run when the service restarts, until ctx ends (Ctrl-C).
func followLogs(ctx context.Context, c *client.Client, name string, a logsArgs, p *linePrinter) error {
	n := a.lines
	if n == 0 {
		n = 10
	}
	var job int64
	var last time.Time
	seenAtLast := map[string]bool{}
	for first := true; ; first = false {
		id, lines, err := c.JobLog(ctx, name, a.job, 0)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return advise(err)
		}
		if first && len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		if id != job {
			job, last, seenAtLast = id, time.Time{}, map[string]bool{}
		}
		for _, l := range lines {
			key := l.Identifier + "\x00" + l.Message
			if l.Time.Before(last) || l.Time.Equal(last) && seenAtLast[key] {
				continue
			}
			if l.Time.After(last) {
				last, seenAtLast = l.Time, map[string]bool{}
			}
			seenAtLast[key] = true
			p.print(l)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followPoll):
		}
	}
}

// linePrinter writes log lines as journalctl's short, cat and json formats do.
type linePrinter struct {
	format string
	escape bool
	since  time.Time
	host   string
}

func (p *linePrinter) print(l client.LogLine) {
	if !p.since.IsZero() && l.Time.Before(p.since) {
		return
	}
	msg := l.Message
	if p.escape {
		msg = escapeForTerminal(msg)
	}
	switch p.format {
	case "cat":
		fmt.Fprintln(Stdout, msg)
	case "json":
		m := map[string]string{"__REALTIME_TIMESTAMP": strconv.FormatInt(l.Time.UnixMicro(), 10),
			"PRIORITY": strconv.Itoa(int(l.Priority)), "SYSLOG_IDENTIFIER": l.Identifier, "MESSAGE": l.Message}
		if l.PID != 0 {
			m["_PID"] = strconv.Itoa(int(l.PID))
		}
		data, _ := json.Marshal(m)
		fmt.Fprintln(Stdout, string(data))
	default:
		if p.host == "" {
			p.host, _ = os.Hostname()
		}
		ident := l.Identifier
		if l.PID != 0 {
			ident += "[" + strconv.Itoa(int(l.PID)) + "]"
		}
		fmt.Fprintf(Stdout, "%s %s %s: %s\n", l.Time.Local().Format(time.Stamp), p.host, ident, msg)
	}
}

// hostName is the host the lines come from, as journalctl -o short names it: -H's host, or this
// one's (filled in when printing).
func hostName(g *globals) string {
	if g.host == "" {
		return ""
	}
	target, _, _ := client.SplitHost(g.host)
	if _, h, ok := strings.Cut(target, "@"); ok {
		return h
	}
	return target
}

// parseSince reads --since: an absolute date and time, a time of today, "-DURATION" before
// now, "today" or "yesterday".
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return time.Time{}, nil
	case "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), nil
	case "yesterday":
		y, m, d := now.AddDate(0, 0, -1).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), nil
	}
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("--since %q: want a duration such as -5m or -2h30m", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			y, m, d := now.Date()
			return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, now.Location()), nil
		}
	}
	return time.Time{}, errors.New(`--since: want "YYYY-MM-DD [HH:MM[:SS]]", "HH:MM[:SS]", "-DURATION", "today" or "yesterday"`)
}
