package manpage

import "github.com/hero-systemd/hero-systemd/unitgen/config"

func init() {
	register(Page{
		Name:    "hero-service",
		Section: 5,
		Summary: "hero service configs: hero TOML and zinit YAML files",
		Whole:   func(m Meta) string { return config.ManPage(m.Date, m.Version) },
	})
}
