package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newLogsCmd) }

type logsArgs struct {
	job      int64
	follow   bool
	reverse  bool
	lines    int
	since    string
	until    string
	priority string
	grep     string
	format   string
}

func newLogsCmd(g *globals) *cobra.Command {
	var a logsArgs
	cmd := &cobra.Command{
		Use:   "logs NAME [--job ID] [-f] [-r] [-n LINES] [--since TIME] [--until TIME] [-p PRIORITY] [-g PATTERN] [-o short|cat|json]",
		Short: "Print what a service's run wrote (its journal lines)",
		Long: `logs prints the output (stdout and stderr) of a service's latest run, or of job ID with
--job, as journalctl does: with timestamps (-o short, the default), the messages alone (-o cat)
or journal fields as JSON lines (-o json). The lines come from the journal while the run goes
on; once it ended, from the tail (the last 64 KiB) herod copied into its job, so a crash's
output stays readable after stops and journal rotation. systemd's own messages about the run
are shown too (identifier systemd), and a health check that gave up shows its last attempt
under NAME-health. -f follows the service, run after run, until Ctrl-C. Output is what
services wrote: only root and members of the groups adm and systemd-journal may read it. On a
terminal, control characters are escaped.

Filters, as journalctl's: --since and --until take journalctl's time words (systemd.time(7)):
"2026-11-25 10:00", "10:00", "-5m", "1 min ago", "today", "yesterday", "now", "tomorrow",
"@EPOCH"; -p PRIORITY shows lines of that priority or more important (emerg 0, alert 1, crit 2,
err 3, warning 4, notice 5, info 6, debug 7; a name or number), or a range FROM..TO;
-g PATTERN shows lines whose message matches the regular expression (case-insensitive when
PATTERN has no upper-case letter). -n shows the last LINES of what the filters keep; -r prints
the newest line first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			filter, err := a.check(time.Now())
			if err != nil {
				return exitWith(ExitFailure, err)
			}
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				p := linePrinter{format: a.format, escape: isTerminal(Stdout), filter: filter, host: hostName(g)}
				if a.follow {
					return followLogs(ctx, c, args[0], a, &p)
				}
				limit := uint32(a.lines)
				if filter.active() {
					limit = 0 // the last LINES of what the filters keep: cut here
				}
				id, lines, err := c.JobLog(ctx, args[0], a.job, limit)
				if err != nil {
					return adviseFor(g, err)
				}
				printLines(&p, lines, a.lines, a.reverse)
				notePartial(ctx, g, c, args[0], id)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.Int64Var(&a.job, "job", 0, "the job to show (default: the latest)")
	f.BoolVarP(&a.follow, "follow", "f", false, "keep printing new lines, run after run, until Ctrl-C")
	f.BoolVarP(&a.reverse, "reverse", "r", false, "newest line first")
	f.IntVarP(&a.lines, "lines", "n", 0, "show the last LINES lines (default: all kept; 10 with -f)")
	f.StringVarP(&a.since, "since", "S", "", `only lines from this time on ("1 min ago", "-5m", "today", "2026-11-25 10:00")`)
	f.StringVarP(&a.until, "until", "U", "", "only lines up to this time (the same words as --since)")
	f.StringVarP(&a.priority, "priority", "p", "", "only lines of this priority or more important (err, 3), or a range (warning..err)")
	f.StringVarP(&a.grep, "grep", "g", "", "only lines whose message matches this regular expression")
	f.StringVarP(&a.format, "output", "o", "short", "short, cat or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"short", "cat", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("priority", cobra.FixedCompletions(priorityNames[:], cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("since", completeTimeWords)
	_ = cmd.RegisterFlagCompletionFunc("until", completeTimeWords)
	return cmd
}

// notePartial says on stderr when job id's output is not all written yet: journald still read
// the run's output when herod copied its tail (a flood), and herod completes the copy later.
func notePartial(ctx context.Context, g *globals, c *client.Client, name string, id int64) {
	if g.quiet || id == 0 {
		return
	}
	jobs, err := c.ListJobs(ctx, name)
	if err != nil {
		return
	}
	for _, j := range jobs {
		if j.ID == id && j.OutputPartial {
			fmt.Fprintf(Stderr, "heroctl: job %d's output was still being written by journald when herod copied it: these may not be its last lines yet; herod completes the copy.\n", id)
		}
	}
}

// check refuses bad flag values and returns the filter they ask for.
func (a logsArgs) check(now time.Time) (logFilter, error) {
	var f logFilter
	switch {
	case a.job < 0:
		return f, fmt.Errorf("--job must be a job id")
	case a.lines < 0:
		return f, fmt.Errorf("--lines must be 0 or more")
	case a.follow && a.reverse:
		return f, fmt.Errorf("--follow and --reverse cannot be combined (as in journalctl)")
	case a.follow && a.until != "":
		return f, fmt.Errorf("--follow and --until cannot be combined (as in journalctl)")
	}
	switch a.format {
	case "short", "cat", "json":
	default:
		return f, fmt.Errorf("--output must be short, cat or json, not %q", a.format)
	}
	var err error
	if f.since, err = parseTimeFlag("--since", a.since, now); err != nil {
		return f, err
	}
	if f.until, err = parseTimeFlag("--until", a.until, now); err != nil {
		return f, err
	}
	if !f.since.IsZero() && !f.until.IsZero() && f.until.Before(f.since) {
		return f, fmt.Errorf("--until %s is before --since %s", f.until.Format(time.DateTime), f.since.Format(time.DateTime))
	}
	if a.priority != "" {
		if f.minPrio, f.maxPrio, err = parsePriorityRange(a.priority); err != nil {
			return f, err
		}
		f.byPrio = true
	}
	if a.grep != "" {
		if f.grep, err = compileGrep(a.grep); err != nil {
			return f, err
		}
	}
	return f, nil
}

// parseTimeFlag reads a time flag's value ("" is no limit).
func parseTimeFlag(flag, value string, now time.Time) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(value, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", flag, err)
	}
	return t, nil
}

// printLines prints lines through p, keeping the last n the filter lets through (0: all),
// newest first when reverse.
func printLines(p *linePrinter, lines []client.LogLine, n int, reverse bool) {
	kept := lines[:0:0]
	for _, l := range lines {
		if p.filter.keep(l) {
			kept = append(kept, l)
		}
	}
	if n > 0 && len(kept) > n {
		kept = kept[len(kept)-n:]
	}
	for i := range kept {
		l := kept[i]
		if reverse {
			l = kept[len(kept)-1-i]
		}
		p.print(l)
	}
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
			if p.filter.keep(l) {
				p.print(l)
			}
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
	filter logFilter
	host   string
	width  int // -o short lines are cut to this many characters (0: whole), as on a terminal
}

// print writes l (which the caller let through p.filter).
func (p *linePrinter) print(l client.LogLine) {
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
		fmt.Fprintln(Stdout, ellipsize(fmt.Sprintf("%s %s %s: %s", l.Time.Local().Format(time.Stamp), p.host, ident, msg), p.width))
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
