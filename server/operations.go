package server

import (
	"reflect"

	"github.com/vigil-soc/vigil"
)

// RouteInfo describes one route as the route table declares it: for tests,
// and for the generator of the typed client (internal/apigen), so that the
// client is written from the same table as the mux, the role checks and
// the OpenAPI document.
type RouteInfo struct {
	Name       string // the typed client's method (API routes)
	Method     string
	Path       string
	Summary    string
	Permission vigil.Permission // "" for public routes
	Page       bool             // an HTML page rather than an API operation
	Agent      bool             // authenticated by an agent credential
	Query      []string         // query parameters, in order
	In, Out    reflect.Type     // request and answer bodies; nil for none
	Status     int              // success status
	Download   bool             // a streamed answer
	Upload     bool             // a streamed request body
}

func (rt route) info() RouteInfo {
	ri := RouteInfo{Name: rt.name, Method: rt.method, Path: rt.path, Summary: rt.summary, Permission: rt.perm, Page: rt.page, Agent: rt.agent,
		Status: rt.status, Download: rt.download, Upload: rt.upload}
	if ri.Status == 0 {
		ri.Status = 200
	}
	for _, q := range rt.query {
		ri.Query = append(ri.Query, q.name)
	}
	if rt.in != nil {
		ri.In = reflect.TypeOf(rt.in)
	}
	if rt.out != nil {
		ri.Out = reflect.TypeOf(rt.out)
	}
	return ri
}

// Routes lists the registered routes.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.info()
	}
	return out
}

// Operations lists the API's operations (not the web pages) without a
// running server: the table is built on a zero Server, which only tells it
// that no optional module is configured.
func Operations() []RouteInfo {
	var ops []RouteInfo
	for _, rt := range (&Server{}).routeTable() {
		if !rt.page {
			ops = append(ops, rt.info())
		}
	}
	return ops
}
