package execspec

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	specs := []Spec{
		{Argv: []string{"/bin/sh", "-c", `D=/var/tmp/app; rm -rf "${D}/cache"; echo $$ %n %% \ "q" 'q'` + "\nnext"}},
		{Argv: []string{"X=1", "prog"}, Env: map[string]string{"PASS": "pa$$w0rd", "E": ""}, Unset: []string{"MODE"}, Dir: "/srv/a b"},
		{Argv: []string{"tab\tnewline\nunicode ✓ bell\a"}},
	}
	for _, s := range specs {
		arg := Encode(s)
		if strings.Trim(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("encoded argument %q has characters systemd may rewrite", arg)
		}
		var got Spec
		if err := Decode(arg, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("round trip: got %#v, want %#v", got, s)
		}
	}
	h := Health{Argv: []string{"curl", "-fsS", "http://x/$y"}, Interval: 250 * time.Millisecond, Timeout: time.Minute, Identifier: "web-health"}
	var got Health
	if err := Decode(Encode(h), &got); err != nil || !reflect.DeepEqual(got, h) {
		t.Errorf("health round trip: %#v, %v", got, err)
	}
}

func TestDecodeRefusesGarbage(t *testing.T) {
	var s Spec
	for _, arg := range []string{"", "!!!", Encode("a string")} {
		if err := Decode(arg, &s); err == nil && s.Validate() == nil {
			t.Errorf("Decode(%q) accepted: %#v", arg, s)
		}
	}
}

func TestNeedsHelper(t *testing.T) {
	for argv, want := range map[string]bool{
		"/usr/bin/api --port 8080": false, "/bin/sh -c a;b": true, "echo $HOME": true, `printf %s\n`: false,
	} {
		if got := NeedsHelper(strings.Fields(argv)); got != want {
			t.Errorf("NeedsHelper(%q) = %v, want %v", argv, got, want)
		}
	}
}
