package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/vigil-soc/vigil"
)

// table prints aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		for i := range r {
			r[i] = oneLine(r[i])
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// oneLine keeps a cell on one line and strips control characters, so that
// text from the server cannot break or recolour the terminal.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// printJSON pretty-prints raw JSON from the server.
func printJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nonEmpty builds a query from key, value pairs, leaving out empty values.
func nonEmpty(pairs ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	return q
}

// rowErrors prints an import's bad rows to w, each by line and column,
// and returns the error that ends the command: nothing was imported.
func rowErrors(w io.Writer, errs []vigil.RowError) error {
	for _, e := range errs {
		where := ""
		if e.Line > 0 {
			where = "line " + strconv.Itoa(e.Line)
			if e.Column != "" {
				where += ", column " + e.Column
			}
			where += ": "
		}
		fmt.Fprintln(w, where+e.Message)
	}
	return fmt.Errorf("nothing imported: the file has %d bad %s; correct them and preview again", len(errs), vigil.Plural(len(errs), "row", "rows"))
}
