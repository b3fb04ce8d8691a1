package journal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testUnit is the unit the tests read.
const testUnit = "hero-default-web.service"

// fakeJournalctl puts a journalctl on PATH that logs its arguments and prints script's output.
func fakeJournalctl(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	body := "#!/bin/sh\necho \"$@\" >> " + args + "\n" + script + "\n"
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return args
}

// journalctl is asked for what each reader needs, and its JSON is read as it comes.
func TestJournalctlArguments(t *testing.T) {
	ctx := context.Background()
	args := fakeJournalctl(t, `for i in 1 2 3; do echo '{"__CURSOR":"c'$i'","UNIT":"hero-default-web.service","MESSAGE":"m'$i'"}'; done
echo '{"__CURSOR":"c9","UNIT":"sshd.service"}'`)
	j := journalctl{}
	lines, err := j.Lines(ctx, []string{testUnit}, time.Unix(10, 0), time.Unix(20, 0), 2)
	if err != nil || len(lines) != 2 || lines[0].Fields["MESSAGE"] != "m2" || lines[1].Fields["MESSAGE"] != "m1" {
		t.Errorf("Lines: %v %+v (newest first from journalctl --reverse, then oldest first)", err, lines)
	}
	records, last, err := j.Records(ctx, "c0", time.Time{})
	if err != nil || len(records) != 3 || last != "c9" {
		t.Errorf("Records: %v, %d hero records, last %q", err, len(records), last)
	}
	if c, err := j.Cursor(ctx, time.Unix(5, 0)); err != nil || c != "c9" {
		t.Errorf("Cursor: %q %v", c, err)
	}
	if err := j.Sync(ctx, []string{testUnit}); err != nil {
		t.Errorf("Sync: %v", err)
	}
	data, _ := os.ReadFile(args)
	for _, want := range []string{"--unit=" + testUnit + " --since=@10.000000 --until=@20.000000 --reverse",
		"--after-cursor=c0 _PID=1 MESSAGE_ID=", "-n 1 --until=@5.000000", "--sync"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("journalctl was not run with %q:\n%s", want, data)
		}
	}
	u := journalctl{user: true}
	if err := u.Sync(ctx, nil); err != nil {
		t.Errorf("a user's Sync: %v", err)
	}
	if _, err := u.Lines(ctx, []string{testUnit}, time.Time{}, time.Time{}, 0); err != nil {
		t.Error(err)
	}
	if data, _ := os.ReadFile(args); !strings.Contains(string(data), "--user --user-unit="+testUnit) {
		t.Errorf("a user's Lines:\n%s", data)
	}
}

// journalctl's "no entries" is an answer; another failure is an error that says what failed.
func TestJournalctlFailures(t *testing.T) {
	ctx := context.Background()
	fakeJournalctl(t, `echo "-- No entries --" >&2; exit 1`)
	if lines, err := (journalctl{}).Lines(ctx, nil, time.Time{}, time.Time{}, 0); err != nil || len(lines) != 0 {
		t.Errorf("no entries: %v %v", lines, err)
	}
	fakeJournalctl(t, `echo "Failed to open files" >&2; exit 1`)
	if _, err := (journalctl{}).Lines(ctx, nil, time.Time{}, time.Time{}, 0); err == nil || !strings.Contains(err.Error(), "Failed to open files") {
		t.Errorf("a failure: %v", err)
	}
}
