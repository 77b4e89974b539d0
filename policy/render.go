package policy

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// md renders CommonMark with GitHub's tables; raw HTML in the text is not
// passed through (goldmark leaves it out unless told otherwise).
var md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))

// sanitizer is the second line: whatever the renderer lets through, only
// the elements and attributes of user-generated content survive (no
// script, iframe, style or event handler; links only to http, https and
// mailto, marked nofollow).
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(true)
	return p
}()

// Render turns a policy's Markdown into HTML safe to put in a page: what a
// policy's author writes must never run in an approver's or auditor's
// browser.
func Render(markdown string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(markdown), &buf); err != nil {
		// goldmark fails only on writer errors; a bytes.Buffer has none.
		// Show the text, escaped, rather than nothing.
		return template.HTML("<pre>" + template.HTMLEscapeString(markdown) + "</pre>")
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes()))
}
