package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// Vendor discovery: the third-party apps people use through the
// directory. Okta lists its app integrations (GET /api/v1/apps, paged by
// Link headers). Google Workspace has no domain-wide list of OAuth
// grants: the Directory API's tokens resource is read per user, for the
// active users the listing returned, at most vigil.MaxTokenUsers of them.
// What could not be read is said, never taken for "no apps".

// oktaOwnApps are Okta's built-in apps: Okta itself, not a third party.
func oktaOwnApp(name string) bool {
	return strings.HasPrefix(name, "okta_") || name == "saasure" || name == "active_directory"
}

func (o Okta) collectApps(ctx context.Context, r *kind.Run, cl *apiClient, c *oktaConfig) {
	type oktaApp struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Label      string `json:"label"`
		Status     string `json:"status"`
		SignOnMode string `json:"signOnMode"`
		Created    string `json:"created"`
	}
	r.AppsRead = true
	var apps []vigil.DiscoveredApp
	seen := map[string]bool{}
	for next := c.URL + "/api/v1/apps?limit=200"; next != ""; {
		if seen[next] {
			r.AppsUnreadable = "listing apps: the next page (" + next + ") was already read; Okta's paging went round in a circle"
			return
		}
		seen[next] = true
		var page []oktaApp
		h, err := cl.get(ctx, "listing apps", next, &page)
		if err != nil {
			r.AppsUnreadable = "apps not readable: " + err.Error()
			return
		}
		for _, a := range page {
			if oktaOwnApp(a.Name) {
				continue
			}
			name := a.Label
			if name == "" {
				name = a.Name
			}
			var scopes []string
			if a.SignOnMode != "" {
				scopes = []string{"sign-on: " + a.SignOnMode}
			}
			apps = append(apps, vigil.DiscoveredApp{AppID: a.ID, Name: name, Status: a.Status, Scopes: scopes})
		}
		next = ""
		for _, l := range h.Values("Link") {
			if m := linkNext.FindStringSubmatch(l); m != nil {
				next = m[1]
			}
		}
		if next != "" && !sameOrigin(next, c.URL) {
			r.AppsUnreadable = "listing apps: the next page is on another host (" + next + "); not following it with the token"
			return
		}
	}
	r.Apps, r.AppsComplete = apps, true
}

const tokensScope = "https://www.googleapis.com/auth/admin.directory.user.security"

func (g Google) collectTokens(ctx context.Context, r *kind.Run, c *googleConfig, users []string) {
	r.AppsRead = true
	cl, err := g.clientFor(r, c, tokensScope)
	if err == nil {
		// One token first: a delegation without the scope fails here once,
		// not once per user.
		req, _ := http.NewRequestWithContext(ctx, "GET", g.api(), nil)
		err = cl.auth(req)
	}
	if err != nil {
		r.AppsUnreadable = "OAuth grants not readable (the service account needs " + tokensScope + "): " + err.Error()
		return
	}
	total := len(users)
	if len(users) > vigil.MaxTokenUsers {
		users = users[:vigil.MaxTokenUsers]
	}
	type token struct {
		ClientID    string   `json:"clientId"`
		DisplayText string   `json:"displayText"`
		Scopes      []string `json:"scopes"`
		Anonymous   bool     `json:"anonymous"`
		NativeApp   bool     `json:"nativeApp"`
		UserKey     string   `json:"userKey"`
	}
	var (
		mu       sync.Mutex
		byClient = map[string]*vigil.DiscoveredApp{}
		failed   []string
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 4)
	)
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var page struct {
				Items []token `json:"items"`
			}
			_, err := cl.get(ctx, "OAuth grants of "+u, g.api()+"/admin/directory/v1/users/"+url.PathEscape(u)+"/tokens", &page)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				// 403 or 404 is the scope or the user out of reach; any
				// failure leaves this user's grants unknown, not empty.
				failed = append(failed, u)
				var he *httpError
				if firstErr == nil || errors.As(err, &he) && (he.status == 403 || he.status == 404) {
					firstErr = err
				}
				return
			}
			for _, t := range page.Items {
				if t.ClientID == "" {
					continue
				}
				a := byClient[t.ClientID]
				if a == nil {
					name := t.DisplayText
					if name == "" {
						name = t.ClientID
					}
					a = &vigil.DiscoveredApp{AppID: t.ClientID, Name: name, Status: "granted"}
					byClient[t.ClientID] = a
				}
				a.Users++
				for _, s := range t.Scopes {
					if !slices.Contains(a.Scopes, s) {
						a.Scopes = append(a.Scopes, s)
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, a := range byClient {
		slices.Sort(a.Scopes)
		r.Apps = append(r.Apps, *a)
	}
	slices.SortFunc(r.Apps, func(a, b vigil.DiscoveredApp) int { return strings.Compare(a.AppID, b.AppID) })
	var notes []string
	if len(failed) > 0 {
		slices.Sort(failed)
		who := strings.Join(failed[:min(len(failed), 5)], ", ")
		if len(failed) > 5 {
			who += fmt.Sprintf(" and %d more", len(failed)-5)
		}
		users := "users"
		if len(failed) == 1 {
			users = "user"
		}
		notes = append(notes, fmt.Sprintf("OAuth grants of %d %s not readable (%s): %v", len(failed), users, who, firstErr))
	}
	if total > len(users) {
		notes = append(notes, fmt.Sprintf("OAuth grants read for the first %d of %d active users only", len(users), total))
	}
	r.AppsUnreadable = strings.Join(notes, "; ")
	r.AppsComplete = len(notes) == 0
}
