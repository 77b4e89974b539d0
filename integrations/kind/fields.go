package kind

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
)

// FieldType says how a form value becomes a JSON setting.
type FieldType string

// The field types a kind's settings use.
const (
	TypeText   FieldType = "text"   // a string
	TypeLong   FieldType = "long"   // a multi-line string (keys, signer files)
	TypeInt    FieldType = "int"    // a whole number
	TypeBool   FieldType = "bool"   // a checkbox
	TypeList   FieldType = "list"   // strings, one per line or comma-separated
	TypeInts   FieldType = "ints"   // whole numbers, comma-separated
	TypeChoice FieldType = "choice" // one of Choices
)

// Field describes one setting of a kind, for the form that edits it and
// the page that shows it. The description lives once, in the kind's package; the kind's
// Validate stays the judge of what is acceptable, and names the same field
// ("config.<Name>") so that its message lands beside the input.
type Field struct {
	Name     string    // the JSON key in the settings
	Label    string    // what the form calls it
	Help     string    // what it is for, in a sentence
	Example  string    // a value that would do, shown as a placeholder
	Type     FieldType // how the value is read
	Required bool
	Choices  []string // for TypeChoice; "" first means "the default"
}

// Info describes a kind for people: what it tests, its settings and
// what its credential is. The credential is never part of the settings:
// it is sealed apart and never shown again.
type Info struct {
	Name   string
	Title  string
	Help   string
	Fields []Field
	// Secret is the credential's field ("secret"); Required when the kind
	// cannot work without one.
	Secret Field
}

// BuildConfig makes the kind's settings from named form values: get returns
// the value typed for a field name. advanced, when not empty, is a JSON
// object the named fields are laid over (for settings the form does not
// name). A value that is not of its field's type is refused naming the
// field ("config.<name>"); the kind's Validate judges the rest.
func (info Info) BuildConfig(get func(name string) string, advanced string) (json.RawMessage, error) {
	cfg := map[string]any{}
	if a := strings.TrimSpace(advanced); a != "" {
		if err := json.Unmarshal([]byte(a), &cfg); err != nil || cfg == nil {
			return nil, vigil.FieldError("config", "the advanced settings are not a JSON object, e.g. {\"alert_days\": {\"critical\": 7}}")
		}
	}
	for _, f := range info.Fields {
		raw := strings.TrimSpace(get(f.Name))
		key := "config." + f.Name
		if raw == "" {
			// An unchecked box or an empty field leaves the setting to the
			// advanced JSON or the kind's default.
			if f.Required && f.Type != TypeBool {
				if _, set := cfg[f.Name]; !set {
					return nil, vigil.FieldError(key, "%s is required, e.g. %s", f.Label, f.Example)
				}
			}
			continue
		}
		switch f.Type {
		case TypeInt:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return nil, vigil.FieldError(key, "%s is a whole number, e.g. %s", f.Label, f.Example)
			}
			cfg[f.Name] = n
		case TypeBool:
			cfg[f.Name] = raw == "on" || raw == "true" || raw == "1"
		case TypeList:
			cfg[f.Name] = splitList(raw)
		case TypeInts:
			var ns []int64
			for _, s := range splitList(raw) {
				n, err := strconv.ParseInt(s, 10, 32)
				if err != nil {
					return nil, vigil.FieldError(key, "%s are whole numbers separated by commas, e.g. %s (%q is not one)", f.Label, f.Example, s)
				}
				ns = append(ns, n)
			}
			cfg[f.Name] = ns
		case TypeChoice:
			ok := false
			for _, c := range f.Choices {
				ok = ok || (c == raw && c != "")
			}
			if !ok {
				return nil, vigil.FieldError(key, "%s is one of %s", f.Label, strings.Join(f.Choices[1:], ", "))
			}
			cfg[f.Name] = raw
		default:
			cfg[f.Name] = raw
		}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Setting is one stored setting as shown to people.
type Setting struct {
	Label, Value string
}

// FormValues turns stored settings back into the form's values (to edit
// them) and the settings no field names (kept as advanced JSON).
func (info Info) FormValues(cfg json.RawMessage) (map[string]string, string) {
	m := map[string]any{}
	_ = json.Unmarshal(cfg, &m)
	vals := map[string]string{}
	for _, f := range info.Fields {
		v, ok := m[f.Name]
		if !ok {
			continue
		}
		delete(m, f.Name)
		vals[f.Name] = showValue(v)
	}
	rest := ""
	if len(m) > 0 {
		b, _ := json.Marshal(m)
		rest = string(b)
	}
	return vals, rest
}

// Settings lists stored settings with their labels, in the kind's order,
// then any the description does not name. Settings never hold secrets.
func (info Info) Settings(cfg json.RawMessage) []Setting {
	vals, rest := info.FormValues(cfg)
	var out []Setting
	for _, f := range info.Fields {
		if v, ok := vals[f.Name]; ok {
			out = append(out, Setting{f.Label, v})
		}
	}
	if rest != "" {
		out = append(out, Setting{"Other settings", rest})
	}
	return out
}

func showValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, showValue(e))
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
