// Package ui holds the web interface's templates and static files, embedded
// in the binary, and renders pages. Handlers live in the server package;
// this package knows nothing of the store.
package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Static returns the static files (CSS, JavaScript, icons).
func Static() fs.FS {
	sub, _ := fs.Sub(staticFS, "static")
	return sub
}

// Renderer renders named pages inside the layout.
type Renderer struct {
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	// money writes an amount rounded to a whole unit with thousands separated.
	"money": func(f float64) string {
		s := strconv.FormatFloat(math.Round(f), 'f', 0, 64)
		for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	},
	// list makes a slice of strings to range over (a form's fields).
	"list": func(s ...string) []string { return s },
	"pct":  func(f float64) string { return fmt.Sprintf("%.0f%%", f) },
	"pct1": func(f float64) string {
		if f == math.Trunc(f) {
			return fmt.Sprintf("%.0f%%", f)
		}
		return fmt.Sprintf("%.1f%%", f)
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"ptime": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
	// dataimg passes a server-made PNG data URL (the TOTP QR code) into an
	// img src; html/template would otherwise neuter any data: URL.
	"dataimg": func(s string) template.URL {
		if strings.HasPrefix(s, "data:image/png;base64,") && !strings.ContainsAny(s, "\"'<> ") {
			return template.URL(s)
		}
		return ""
	},
	"title": func(s string) string {
		return strings.ToUpper(s[:min(1, len(s))]) + strings.ReplaceAll(s[min(1, len(s)):], "_", " ")
	},
	"words": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"add": func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
}

// New parses every page with the layout.
func New() (*Renderer, error) {
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	// Files starting with _ hold partials shared by every page.
	partials, err := templateFS.ReadFile("templates/_partials.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		body, err := templateFS.ReadFile("templates/" + e.Name())
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("ui: layout: %w", err)
		}
		if _, err := t.Parse(string(partials)); err != nil {
			return nil, fmt.Errorf("ui: partials: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("ui: %s: %w", e.Name(), err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Render writes page name with data. It renders into a buffer first, so a
// template error never leaves half a page: the caller gets the error.
func (r *Renderer) Render(w io.Writer, name string, data any) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("ui: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("ui: render %s: %w", name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
