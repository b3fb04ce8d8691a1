package version

import "testing"

func TestFromDescribe(t *testing.T) {
	tests := []struct{ describe, want string }{
		{"v0.3.0", "0.3.0"},
		{"v0.3.0\n", "0.3.0"},
		{"v0.3.0-5-gabc1234", "0.3.0+5.gabc1234"},
		{"v0.3.0-5-gabc1234-dirty", "0.3.0+5.gabc1234.dirty"},
		{"v0.3.0-dirty", "0.3.0+dirty"},
		{"v0.4.0-rc.1", "0.4.0~rc.1"},
		{"v0.4.0-rc.1-2-g0123abc", "0.4.0~rc.1+2.g0123abc"},
		{"v10.20.30-12-gdeadbeef0", "10.20.30+12.gdeadbeef0"},
		{"abc1234", "0.0.0+gabc1234"},
		{"abc1234-dirty", "0.0.0+gabc1234.dirty"},
	}
	for _, tt := range tests {
		got, err := FromDescribe(tt.describe)
		if err != nil || got != tt.want {
			t.Errorf("FromDescribe(%q) = %q, %v; want %q", tt.describe, got, err, tt.want)
		}
		if !Valid(got) {
			t.Errorf("FromDescribe(%q) = %q is not a valid version", tt.describe, got)
		}
	}
}

func TestFromDescribeRefuses(t *testing.T) {
	for _, d := range []string{"", "release-1", "v1.2", "1.2.3", "v1.2.3-rc 1", "v1.2.3-5-gXYZ", "-dirty"} {
		if v, err := FromDescribe(d); err == nil {
			t.Errorf("FromDescribe(%q) = %q, want an error", d, v)
		}
	}
}

func TestValid(t *testing.T) {
	tests := map[string]bool{
		"0.0+test": true, "0.3.0+5.gabc1234": true, "0.4.0~rc.1": true, "1": true,
		"": false, "v0.3.0": false, "0.3.0-1": false, "0.3 0": false, "+1": false, "0.3.0_x": false,
	}
	for v, want := range tests {
		if got := Valid(v); got != want {
			t.Errorf("Valid(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestSemVer(t *testing.T) {
	for v, want := range map[string]string{
		"0.3.0": "0.3.0", "0.3.0+5.gabc1234": "0.3.0+5.gabc1234", "0.3.0+5.gabc1234.dirty": "0.3.0+5.gabc1234.dirty",
		"0.4.0~rc.1": "0.4.0-rc.1", "0.4.0~rc.1+2.gdef": "0.4.0-rc.1+2.gdef", "0.0.0+gabc1234": "0.0.0+gabc1234",
		"0.0+test": "0.0.0+test", "1": "1.0.0",
	} {
		if got := SemVer(v); got != want {
			t.Errorf("SemVer(%q) = %q, want %q", v, got, want)
		}
	}
}
