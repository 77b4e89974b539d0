package server

import (
	"html/template"
	"net/http"

	"github.com/vigil-soc/vigil"
)

// The first-run setup page: the link printed on the console. It is the one
// page this server renders until the web interface lands; it posts to the
// same setup logic as POST /api/v1/setup. The setup token in the form is
// what authorises the request, so it needs no session or CSRF token.
var setupPage = template.Must(template.New("setup").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up Vigil</title></head>
<body>
<main>
<h1>Set up Vigil</h1>
{{if .Done}}
<p>Setup is complete. <strong>{{.Email}}</strong> is the owner of {{.Org}}.</p>
<p>Your API token, shown once (keep it as <code>VIGIL_TOKEN</code> for the <code>vigil</code> command line):</p>
<p><code>{{.Token}}</code></p>
{{else if .Closed}}
<p>This Vigil installation has already been set up.</p>
{{else}}
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{end}}
<form method="post" action="/setup">
<input type="hidden" name="token" value="{{.SetupToken}}">
<p><label for="org">Organization name</label><br><input id="org" name="org" required maxlength="200" value="{{.Org}}" autocomplete="organization"></p>
<p><label for="name">Your name</label><br><input id="name" name="name" required maxlength="200" value="{{.Name}}" autocomplete="name"></p>
<p><label for="email">Your email</label><br><input id="email" name="email" type="email" required value="{{.Email}}" autocomplete="email"></p>
<p><label for="password">Password (at least 12 characters)</label><br><input id="password" name="password" type="password" required minlength="12" autocomplete="new-password"></p>
<p><button type="submit">Create organization and owner</button></p>
</form>
{{end}}
</main>
</body>
</html>
`))

type setupPageData struct {
	SetupToken, Org, Name, Email, Error, Token string
	Done, Closed                               bool
}

func (s *Server) renderSetup(w http.ResponseWriter, status int, d setupPageData) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	return setupPage.Execute(w, d)
}

func (s *Server) setupPageGet(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		return err
	}
	return s.renderSetup(w, http.StatusOK, setupPageData{SetupToken: r.URL.Query().Get("token"), Closed: n > 0})
}

func (s *Server) setupPagePost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return s.renderSetup(w, http.StatusBadRequest, setupPageData{Error: "the form could not be read"})
	}
	d := setupPageData{SetupToken: r.PostForm.Get("token"), Org: r.PostForm.Get("org"), Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email")}
	res, err := s.doSetup(r.Context(), setupRequest{SetupToken: d.SetupToken, Organization: vigil.Organization{Name: d.Org},
		Email: d.Email, Name: d.Name, Password: r.PostForm.Get("password")})
	if err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		if vigil.ErrorCode(err) == vigil.ECONFLICT {
			d.Closed = true
		}
		d.Error = vigil.ErrorMessage(err)
		return s.renderSetup(w, statusOf(vigil.ErrorCode(err)), d)
	}
	d.Done, d.Token, d.Email = true, res.Token.Secret, res.User.Email
	return s.renderSetup(w, http.StatusCreated, d)
}
