package server

import (
	"encoding/json"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The OpenAPI 3 document is built from the route table and the Go types of
// request and response bodies, so it describes exactly what is served.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	s.docOnce.Do(func() { s.doc, _ = json.MarshalIndent(s.OpenAPI(), "", "  ") })
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(s.doc)
	return err
}

// OpenAPI returns the API description as a JSON-ready value.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	g.defs["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type": "object", "required": []string{"code", "message"},
			"properties": map[string]any{
				"code":    map[string]any{"type": "string", "description": "stable error code: invalid, not_found, conflict, unauthorized, forbidden, too_large, rate_limited, unavailable, internal"},
				"message": map[string]any{"type": "string"},
				"field":   map[string]any{"type": "string", "description": "the input field at fault, when there is one"},
			},
		}},
	}
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	paths := map[string]any{}
	for _, rt := range s.routes {
		if rt.page {
			continue
		}
		op := map[string]any{"summary": rt.summary, "tags": []string{rt.tag}, "operationId": operationID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.in != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.in))}}}
		}
		status := rt.status
		if status == 0 {
			status = 200
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.out != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.out))}}
		case status != 204:
			ok["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		op["responses"] = map[string]any{strconv.Itoa(status): ok, "default": errResp}
		if rt.perm != "" {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
			op["x-vigil-permission"] = string(rt.perm)
		} else if rt.agent {
			op["security"] = []any{map[string]any{"agent": []string{}}}
		} else {
			op["security"] = []any{}
		}
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Vigil API", "version": s.version,
			"description": "Vigil, a self-hosted SOC 2 compliance platform. Authenticate with an API token: Authorization: Bearer vgl_..."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{"schemas": g.defs, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			"agent": map[string]any{"type": "http", "scheme": "bearer", "description": "an agent credential (vga_...) from enrolment"}}},
		"security": []any{map[string]any{"bearer": []string{}}},
	}
}

func operationID(rt route) string {
	p := pathParam.ReplaceAllString(strings.TrimPrefix(rt.path, "/api/v1"), "by_$1")
	p = strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(strings.Trim(p, "/"))
	return strings.ToLower(rt.method) + "_" + p
}

type schemaGen struct {
	defs  map[string]any
	types map[string]reflect.Type // which type each schema name describes
}

var timeType = reflect.TypeOf(time.Time{})
var rawType = reflect.TypeOf(json.RawMessage{})

// schema returns a JSON Schema for t, adding named structs to defs.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if other, ok := g.types[name]; ok && other != t {
			// Two types of one name (a Report in two packages): the second
			// is named with its package, never described as the first.
			name = strings.ToUpper(path.Base(t.PkgPath())[:1]) + path.Base(t.PkgPath())[1:] + schemaName(t)
		}
		if g.types == nil {
			g.types = map[string]reflect.Type{}
		}
		g.types[name] = t
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // placeholder against recursion
			props := map[string]any{}
			g.fields(t, props)
			g.defs[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// fields adds t's JSON fields to props, flattening embedded structs the way
// encoding/json does.
func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}

// schemaName names a type for components/schemas: page[...Control] becomes
// ControlPage; lower-case internal names are capitalised.
func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.Index(n, "["); i >= 0 {
		inner := n[i+1 : len(n)-1]
		inner = inner[strings.LastIndex(inner, ".")+1:]
		return strings.ToUpper(inner[:1]) + inner[1:] + strings.ToUpper(n[:1]) + n[1:i]
	}
	return strings.ToUpper(n[:1]) + n[1:]
}
