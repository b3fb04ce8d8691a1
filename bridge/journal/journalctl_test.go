package journal

import (
	"strings"
	"testing"
	"time"
)

// journalctl -o json writes binary fields as arrays of bytes and repeated fields as arrays;
// the reader stops when told.
func TestParseEntries(t *testing.T) {
	in := `{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1000000","MESSAGE":[104,105],"X":["a","b"]}
{"__CURSOR":"c2","MESSAGE":"two"}
{"__CURSOR":"c3","MESSAGE":"three"}
`
	var got []Entry
	n, stopped, err := parseEntries(strings.NewReader(in), func(e Entry) bool { got = append(got, e); return len(got) < 2 })
	if err != nil || n != 2 || !stopped {
		t.Fatalf("n %d stopped %v err %v", n, stopped, err)
	}
	if got[0].Fields["MESSAGE"] != "hi" || got[0].Fields["X"] != "b" || got[0].Cursor != "c1" || !got[0].Time.Equal(time.Unix(1, 0)) {
		t.Errorf("first entry %+v", got[0])
	}
	if _, _, err := parseEntries(strings.NewReader("not json\n"), func(Entry) bool { return true }); err == nil {
		t.Error("a line that is not JSON was read")
	}
	if _, ok := fieldString([]any{}); ok {
		t.Error("an empty array gave a value")
	}
	if _, ok := fieldString([]any{1.0, "x"}); ok {
		t.Error("a mixed array gave a value")
	}
	for stderr, want := range map[string]bool{"": true, "No journal files were found.": true, "-- No entries --": true, "Failed to open": false} {
		if noEntries(stderr) != want {
			t.Errorf("noEntries(%q) != %v", stderr, want)
		}
	}
	if got := epoch(time.UnixMicro(1_500_000_123)); got != "@1500.000123" {
		t.Errorf("epoch %s", got)
	}
}

// A run whose end no snapshot described is settled from the manager's records of it.
// A stream's state file, as journald writes it (journald-stream.c): its ID and unit are read;
// the rest is ignored.
func TestParseStream(t *testing.T) {
	data := "# This is private data. Do not parse\nPRIORITY=30\nLEVEL_PREFIX=1\nFORWARD_TO_SYSLOG=0\nFORWARD_TO_KMSG=0\nFORWARD_TO_CONSOLE=0\n" +
		"STREAM_ID=230e8917040642b6b83464e8e241a121\nIDENTIFIER=flood\nUNIT=hero-default-flood.service\n"
	got := parseStream([]byte(data))
	if got.ID != "230e8917040642b6b83464e8e241a121" || got.Unit != "hero-default-flood.service" {
		t.Errorf("parseStream = %+v", got)
	}
	if got := parseStream([]byte("STREAM_ID=ab\nIDENTIFIER=x\n")); got.Unit != "" || got.ID != "ab" {
		t.Errorf("a stream of no unit (a user's process): %+v", got)
	}
}
