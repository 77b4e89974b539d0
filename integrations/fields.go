package integrations

import (
	"encoding/json"
	"fmt"
	"sort"
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

// Info returns a kind's description.
func Info(name string) (KindInfo, bool) {
	for _, b := range builtin {
		if b.info.Name == name {
			return b.info, true
		}
	}
	return KindInfo{}, false
}

// Infos returns the descriptions of the given kinds, in the form's order;
// a kind without a description gets a bare one (its settings are then
// typed as JSON).
func Infos(kinds map[string]Kind) []KindInfo {
	var out []KindInfo
	for _, b := range builtin {
		if _, ok := kinds[b.info.Name]; ok {
			out = append(out, b.info)
		}
	}
	var rest []string
	for n := range kinds {
		if _, ok := Info(n); !ok {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, KindInfo{Name: n, Title: n, Secret: Field{Name: "secret", Label: "Credential", Type: kind.TypeLong}})
	}
	return out
}

// BuildConfig makes a kind's settings from named form values
// (kind.Info.BuildConfig); a kind without a description takes only the
// advanced JSON.
func BuildConfig(name string, get func(name string) string, advanced string) (json.RawMessage, error) {
	info, _ := Info(name)
	return info.BuildConfig(get, advanced)
}

// FormValues turns a kind's stored settings back into the form's values
// and the advanced JSON (kind.Info.FormValues).
func FormValues(name string, cfg json.RawMessage) (map[string]string, string) {
	info, _ := Info(name)
	return info.FormValues(cfg)
}

// Settings lists a kind's stored settings with their labels
// (kind.Info.Settings).
func Settings(name string, cfg json.RawMessage) []Setting {
	info, _ := Info(name)
	return info.Settings(cfg)
}

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
