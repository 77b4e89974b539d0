// Package oidctest is a small OpenID Connect provider for tests: discovery,
// JWKS, an authorization endpoint that signs the configured user in at once,
// and a token endpoint that checks the client secret and the PKCE verifier
// and issues an RS256 ID token. Knobs let tests make it misbehave.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Provider is a running test provider.
type Provider struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu sync.Mutex
	// The user the next sign-in returns.
	Email         string
	Name          string
	EmailVerified *bool
	Subject       string // default: derived from Email
	// Misbehaviour.
	WrongNonce bool // put another nonce in the ID token
	WrongKey   bool // sign with a key not in the JWKS
	WrongAud   bool // issue the token for another client
	Expired    bool // issue an expired token

	key, otherKey *rsa.PrivateKey
	codes         map[string]grant
	// Seen records the last authorization request, for assertions.
	Seen url.Values
}

type grant struct {
	nonce, challenge, redirect string
}

// Start runs a provider.
func Start(clientID, clientSecret string) *Provider {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, key: k1, otherKey: k2, codes: map[string]grant{}, Email: "sso.user@acme.test", Name: "Sso User"}
	mux := http.NewServeMux()
	p.Server = httptest.NewServer(mux)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
			"jwks_uri": p.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.mu.Lock()
		p.Seen = q
		if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
			p.mu.Unlock()
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := rand.Text()
		p.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		g, found := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != p.ClientID || secret != p.ClientSecret:
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !found || g.redirect != r.PostForm.Get("redirect_uri"):
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			http.Error(w, `{"error":"invalid_grant","error_description":"PKCE verifier mismatch"}`, http.StatusBadRequest)
			return
		}
		now := time.Now()
		sub := p.Subject
		if sub == "" {
			sub = "sub-" + p.Email
		}
		claims := map[string]any{"iss": p.URL, "sub": sub, "aud": p.ClientID, "email": p.Email, "name": p.Name,
			"nonce": g.nonce, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
		if p.EmailVerified != nil {
			claims["email_verified"] = *p.EmailVerified
		}
		if p.WrongNonce {
			claims["nonce"] = "not-the-nonce"
		}
		if p.WrongAud {
			claims["aud"] = "another-client"
		}
		if p.Expired {
			claims["exp"] = now.Add(-time.Hour).Unix()
		}
		key := p.key
		if p.WrongKey {
			key = p.otherKey
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		payload, _ := json.Marshal(claims)
		jws, _ := signer.Sign(payload)
		tok, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": tok})
	})
	return p
}

// Set changes the provider's knobs under its lock.
func (p *Provider) Set(fn func(p *Provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}
