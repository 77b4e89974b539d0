package integrations

import (
	"testing"

	"github.com/vigil-soc/vigil"
)

func TestInterval(t *testing.T) {
	for in, want := range map[string]int{"24h": 86400, "30m": 1800, "1h30m": 5400, "3600": 3600, "7d": 604800, "": 0} {
		if got, err := ParseInterval("interval", in); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"soon", "1.5s", "h"} {
		if _, err := ParseInterval("interval", bad); vigil.ErrorField(err) != "interval" {
			t.Errorf("ParseInterval(%q): %v", bad, err)
		}
	}
	for in, want := range map[int]string{86400: "24h", 1800: "30m", 5400: "1h30m", 90: "1m30s"} {
		if got := FormatInterval(in); got != want {
			t.Errorf("FormatInterval(%d) = %q, want %q", in, got, want)
		}
	}
}
