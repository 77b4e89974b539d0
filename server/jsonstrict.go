package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/vigil-soc/vigil"
)

// strictJSON walks a request body before it is decoded into v and refuses
// what encoding/json lets through: a key given twice (the last would win
// silently: {"role":"viewer","role":"owner"}), a key that matches a field
// only without regard to case ("Role" for "role"), and text carrying
// bidirectional-override characters, which make a stored title display as
// something else to the next reader.
func strictJSON(raw []byte, v any, observed bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	w := jsonWalker{dec: dec, observed: observed}
	return w.walk(reflect.TypeOf(v), "")
}

// jsonWalker walks one body. observed is set for agent reports: they
// carry what a host holds (file names, configuration values) and must
// report it as it is, so a file named with an override character is a
// finding to show, not a request to refuse (pages escape it).
type jsonWalker struct {
	dec      *json.Decoder
	observed bool
}

// fieldsOf maps the exact JSON names of a struct's fields (embedded ones
// included) to their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range fieldsOf(ft) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

var rawMessage = reflect.TypeOf(json.RawMessage(nil))

func (w *jsonWalker) walk(t reflect.Type, path string) error {
	dec := w.dec
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage {
		t = nil // free-form JSON: still no duplicates and no overrides
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil
		}
		return nil // syntax errors are reported by the decoder proper
	}
	switch x := tok.(type) {
	case string:
		if w.observed {
			return nil
		}
		return checkText(x, path)
	case json.Delim:
		switch x {
		case '{':
			var fields map[string]reflect.Type
			var elem reflect.Type
			if t != nil {
				switch t.Kind() {
				case reflect.Struct:
					fields = fieldsOf(t)
				case reflect.Map:
					elem = t.Elem()
				}
			}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil
				}
				key, _ := kt.(string)
				where := key
				if path != "" {
					where = path + "." + key
				}
				if seen[key] {
					return vigil.FieldError(where, "%q is given twice in the same object", key)
				}
				seen[key] = true
				if !w.observed {
					if err := checkText(key, where); err != nil {
						return err
					}
				}
				next := elem
				if fields != nil {
					ft, ok := fields[key]
					if !ok {
						for name := range fields {
							if strings.EqualFold(name, key) {
								return vigil.FieldError(where, "unknown field %q: field names are case-sensitive (did you mean %q?)", key, name)
							}
						}
					}
					next = ft
				}
				if err := w.walk(next, where); err != nil {
					return err
				}
			}
			_, _ = dec.Token() // '}'
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if err := w.walk(elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, _ = dec.Token() // ']'
		}
	}
	return nil
}

// checkText refuses bidirectional embedding, override and isolate
// characters in any text Vigil is given. (Marks such as U+200E, which
// right-to-left scripts use, stay allowed.)
func checkText(s, field string) error {
	if i := strings.IndexFunc(s, isBidiOverride); i >= 0 {
		r := []rune(s[i:])[0]
		if field == "" {
			field = "body"
		}
		return vigil.FieldError(field, "text contains the bidirectional control character U+%04X, which can make it display as something else; remove it", r)
	}
	return nil
}

func isBidiOverride(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
