// Package drift records a baseline of a host's normalized state and
// reports what changed since: configuration values, packages, users and
// groups, services, kernel parameters, mounts, listening ports and, through
// package fim, the watched files.
package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/vigil-soc/vigil/fim"
)

// Snapshot is a host's state at one time: per aspect, key => value.
type Snapshot struct {
	Taken  time.Time                    `json:"taken"`
	Host   map[string]any               `json:"host"`
	State  map[string]map[string]string `json:"state"`
	Files  *fim.DB                      `json:"-"`
	FIMRef string                       `json:"fim,omitempty"` // file name of the FIM database beside the snapshot
	// FilesErr is why the file database could not be built: Save refuses
	// such a snapshot, as a baseline without files would never report a
	// file change.
	FilesErr error `json:"-"`
	// FirstSeen remembers when each drift event was first reported, so a
	// later scan says how long a change has been in place.
	FirstSeen map[string]time.Time `json:"first_seen,omitempty"`
}

// Take builds a snapshot from collector inputs (by collector name).
func Take(host map[string]any, inputs map[string]map[string]any, files *fim.DB) *Snapshot {
	s := &Snapshot{Taken: time.Now().UTC(), Host: host, State: map[string]map[string]string{}, Files: files}
	add := func(aspect, key string, v any) {
		m := s.State[aspect]
		if m == nil {
			m = map[string]string{}
			s.State[aspect] = m
		}
		m[key] = flat(v)
	}
	each := func(v any, fn func(string, map[string]any)) {
		switch x := v.(type) {
		case map[string]any:
			for k, r := range x {
				if m, ok := r.(map[string]any); ok {
					fn(k, m)
				}
			}
		case []any:
			for _, r := range x {
				if m, ok := r.(map[string]any); ok {
					fn(fmt.Sprint(m["id"]), m)
				}
			}
		}
	}
	if in := inputs["host.packages"]; in != nil {
		each(in["installed"], func(k string, m map[string]any) { add("packages", k, m["version"]) })
	}
	if in := inputs["host.accounts"]; in != nil {
		each(in["users"], func(k string, m map[string]any) {
			add("users", k, fmt.Sprintf("uid=%v gid=%v home=%v shell=%v", m["uid"], m["gid"], m["home"], m["shell"]))
		})
		each(in["groups"], func(k string, m map[string]any) {
			add("groups", k, fmt.Sprintf("gid=%v members=%v", m["gid"], flat(m["members"])))
		})
	}
	if in := inputs["host.sysctl"]; in != nil {
		each(in["runtime"], func(k string, m map[string]any) {
			if v, ok := m["value"]; ok {
				add("sysctl.runtime", k, v)
			}
		})
		each(in["persisted"], func(k string, m map[string]any) {
			if v := m["value"]; v != nil {
				add("sysctl.persisted", k, fmt.Sprintf("%v (%v)", v, m["file"]))
			}
		})
	}
	if in := inputs["host.sshd"]; in != nil {
		if m, ok := in["sshd"].(map[string]any); ok && m["present"] == true {
			for k, v := range m {
				if k != "id" && k != "source" && k != "files" && k != "present" {
					add("sshd", k, v)
				}
			}
		}
	}
	if in := inputs["host.config"]; in != nil {
		each(in["files"], func(p string, m map[string]any) {
			if vs, ok := m["values"].(map[string]any); ok {
				for k, v := range vs {
					add("config", p+" "+k, v)
				}
			}
		})
	}
	if in := inputs["host.services"]; in != nil {
		each(in["units"], func(k string, m map[string]any) {
			if strings.HasSuffix(k, ".service") || strings.HasSuffix(k, ".socket") || strings.HasSuffix(k, ".timer") {
				add("services", k, m["state"])
			}
		})
	}
	if in := inputs["host.mounts"]; in != nil {
		each(in["mounts"], func(k string, m map[string]any) {
			add("mounts", k, fmt.Sprintf("%v %v", m["fstype"], flat(m["options"])))
		})
		each(in["fstab"], func(k string, m map[string]any) {
			add("fstab", k, fmt.Sprintf("%v %v", m["fstype"], flat(m["options"])))
		})
	}
	if in := inputs["host.network"]; in != nil {
		each(in["listening"], func(k string, m map[string]any) { add("listening", k, "listening") })
	}
	if in := inputs["host.modules"]; in != nil {
		each(in["modules"], func(k string, m map[string]any) {
			add("modules", k, fmt.Sprintf("disabled=%v blacklisted=%v loaded=%v", m["disabled"], m["blacklisted"], m["loaded"]))
		})
	}
	return s
}

func flat(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// Event is one drift: what changed, from what to what, and when it was
// first seen.
type Event struct {
	Aspect    string    `json:"aspect"`
	Key       string    `json:"key"`
	Change    string    `json:"change"` // added, removed, changed
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
}

func (e Event) id() string { return e.Aspect + "\x00" + e.Key + "\x00" + e.From + "\x00" + e.To }

// Diff compares cur with the baseline. Events keep the first time they
// were seen from base.FirstSeen (which Diff updates), so running it again
// does not make an old change look new. Aspects missing from either side
// (a collector that failed) are not compared: unknown is not "removed".
// The error is a file database that could not be read: the events then
// lack the files, which the caller must say.
func Diff(base, cur *Snapshot) ([]Event, error) {
	var out []Event
	var filesErr error
	now := cur.Taken
	for aspect, old := range base.State {
		nw, ok := cur.State[aspect]
		if !ok {
			continue
		}
		for k, v := range nw {
			if ov, had := old[k]; !had {
				out = append(out, Event{Aspect: aspect, Key: k, Change: "added", To: v})
			} else if ov != v {
				out = append(out, Event{Aspect: aspect, Key: k, Change: "changed", From: ov, To: v})
			}
		}
		for k, v := range old {
			if _, has := nw[k]; !has {
				out = append(out, Event{Aspect: aspect, Key: k, Change: "removed", From: v})
			}
		}
	}
	for aspect, nw := range cur.State {
		if _, ok := base.State[aspect]; !ok {
			for k, v := range nw {
				out = append(out, Event{Aspect: aspect, Key: k, Change: "added", To: v})
			}
		}
	}
	if base.Files != nil && cur.Files != nil {
		changes, err := fim.Diff(base.Files, cur.Files)
		filesErr = err
		for _, c := range changes {
			e := Event{Aspect: "files", Key: c.Path, Change: map[string]string{"modified": "changed"}[c.Kind]}
			if e.Change == "" {
				e.Change = c.Kind
			}
			if len(c.Fields) > 0 {
				var from, to []string
				names := make([]string, 0, len(c.Fields))
				for n := range c.Fields {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					from = append(from, fmt.Sprintf("%s=%v", n, c.Fields[n][0]))
					to = append(to, fmt.Sprintf("%s=%v", n, c.Fields[n][1]))
				}
				e.From, e.To = strings.Join(from, " "), strings.Join(to, " ")
			}
			out = append(out, e)
		}
	}
	seen := map[string]time.Time{}
	for i := range out {
		id := out[i].id()
		t, ok := base.FirstSeen[id]
		if !ok {
			t = now
		}
		out[i].FirstSeen = t
		seen[id] = t
	}
	// Only current events are remembered: a change that was reverted and
	// comes back later is new again.
	base.FirstSeen = seen
	sort.Slice(out, func(i, j int) bool {
		if out[i].Aspect != out[j].Aspect {
			return out[i].Aspect < out[j].Aspect
		}
		return out[i].Key < out[j].Key
	})
	return out, filesErr
}

// Save writes the snapshot to path (gzip JSON) and its file database to
// path + ".fim", each atomically.
func (s *Snapshot) Save(path string) error {
	if s.FilesErr != nil {
		return s.FilesErr
	}
	if s.Files != nil {
		if err := s.Files.Save(path + ".fim"); err != nil {
			return err
		}
		s.FIMRef = "fim"
	}
	return s.SaveMeta(path)
}

// Close releases the file database.
func (s *Snapshot) Close() error {
	if s == nil {
		return nil
	}
	return s.Files.Close()
}

// SaveMeta rewrites only the snapshot itself (state and first-seen times),
// not its file database: what a drift check changes.
func (s *Snapshot) SaveMeta(path string) error {
	return fim.WriteGzip(path, func(w io.Writer) error { return json.NewEncoder(w).Encode(s) })
}

// Load reads a snapshot written by Save.
func Load(path string) (*Snapshot, error) {
	var s Snapshot
	if err := fim.ReadGzip(path, "baseline", func(r io.Reader) error { return json.NewDecoder(r).Decode(&s) }); err != nil {
		return nil, err
	}
	if s.FIMRef != "" {
		var err error
		if s.Files, err = fim.Load(path + ".fim"); err != nil {
			return nil, err
		}
	}
	return &s, nil
}
