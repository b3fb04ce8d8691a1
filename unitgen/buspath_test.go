package unitgen

import "testing"

// Labels as sd_bus_path_encode(3) writes them (systemd's unit objects, hero's services), and
// the labels it would never write refused, so a name has exactly one label.
func TestBusPathLabel(t *testing.T) {
	for name, label := range map[string]string{
		"":                            "_",
		"db":                          "db",
		"my-db":                       "my_2ddb",
		"1st":                         "_31st",
		"hero-default-web.service":    "hero_2ddefault_2dweb_2eservice",
		`hero-default-a\x2db.service`: "hero_2ddefault_2da_5cx2db_2eservice",
	} {
		if got := BusPathLabel(name); got != label {
			t.Errorf("BusPathLabel(%q) = %q, want %q", name, got, label)
		}
		if got, ok := ParseBusPathLabel(label); !ok || got != name {
			t.Errorf("ParseBusPathLabel(%q) = %q, %v, want %q", label, got, ok, name)
		}
	}
	for _, bad := range []string{"my_2Ddb", "a_2", "a_zz", "_2ddb_", "1st", "a_61"} {
		if got, ok := ParseBusPathLabel(bad); ok {
			t.Errorf("ParseBusPathLabel(%q) = %q, accepted", bad, got)
		}
	}
}
