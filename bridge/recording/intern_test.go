package recording

import (
	"testing"
	"unsafe"
)

// intern copies what it is given (never keeping the caller's bytes alive) and shares one copy of
// each word.
func TestIntern(t *testing.T) {
	buf := []byte("xxactivexx")
	decoded := unsafe.String(&buf[2], 6) // as a decoder hands out a slice of its block
	a := intern(decoded)
	if a != "active" || unsafe.StringData(a) == unsafe.StringData(decoded) {
		t.Fatalf("intern(%q) = %q, sharing the decoder's bytes: %v", decoded, a, unsafe.StringData(a) == unsafe.StringData(decoded))
	}
	if b := intern(string(buf[2:8])); unsafe.StringData(b) != unsafe.StringData(a) {
		t.Error("a word interned twice has two copies")
	}
	long := string(make([]byte, 100))
	if got := intern(long); got != long || unsafe.StringData(got) == unsafe.StringData(long) {
		t.Error("a long string was not copied")
	}
}
