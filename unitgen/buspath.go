package unitgen

// Object paths name things by a label each: systemd's units under /org/freedesktop/systemd1/unit
// and hero's services under /org/hero/Proc1/service, both escaped by sd_bus_path_encode(3)'s rule.

import "strings"

const hexDigits = "0123456789abcdef"

// BusPathLabel escapes s for one element of an object path as sd_bus_path_encode(3) does
// (and go-systemd's PathBusEscape): systemd's unit objects are named this way too.
func BusPathLabel(s string) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		if alpha || digit && i > 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

// ParseBusPathLabel undoes BusPathLabel; it refuses labels BusPathLabel would not have written,
// so every name has exactly one label.
func ParseBusPathLabel(label string) (string, bool) {
	if label == "_" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(label); i++ {
		if label[i] != '_' {
			b.WriteByte(label[i])
			continue
		}
		if i+2 >= len(label) {
			return "", false
		}
		hi, lo := strings.IndexByte(hexDigits, label[i+1]), strings.IndexByte(hexDigits, label[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	name := b.String()
	return name, BusPathLabel(name) == label
}
