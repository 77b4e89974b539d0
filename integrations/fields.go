package integrations

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// The description of a kind's settings, for the pages and the CLI.
type (
	Field     = kind.Field
	FieldType = kind.FieldType
	KindInfo  = kind.Info
	Setting   = kind.Setting
)

// ParseInterval reads how often an integration runs: a Go duration
// ("24h", "30m", "1h30m"), whole days ("7d"), or a number of seconds (as
// the API always took). The field is named in the error.
func ParseInterval(field, s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if n, err = strconv.Atoi(days); err == nil {
			d = time.Duration(n) * 24 * time.Hour
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d%time.Second != 0 {
		return 0, vigil.FieldError(field, "%q is not a duration like 24h, 30m or 7d", s)
	}
	return int(d / time.Second), nil
}

// FormatInterval shows seconds as a duration, the way ParseInterval reads
// it: 86400 is "24h", 5400 is "1h30m".
func FormatInterval(seconds int) string {
	if seconds <= 0 {
		return fmt.Sprintf("%ds", seconds)
	}
	h, m, s := seconds/3600, seconds%3600/60, seconds%60
	out := ""
	if h > 0 {
		out += strconv.Itoa(h) + "h"
	}
	if m > 0 {
		out += strconv.Itoa(m) + "m"
	}
	if s > 0 {
		out += strconv.Itoa(s) + "s"
	}
	return out
}
