package gitrepo

import "github.com/vigil-soc/vigil/integrations/kind"

// Info describes the git kind's settings for the form and the pages.
var Info = kind.Info{Name: "git", Title: "Git repository", Help: "Change management (CC8.1): every change on a branch was reviewed, signed and not force-pushed.",
	Fields: []kind.Field{
		{Name: "repo", Label: "Repository", Help: "An absolute path on this server, or a URL (https:// or ssh://). Never put a credential in the URL.", Example: "https://github.com/acme/api.git", Type: kind.TypeText, Required: true},
		{Name: "branch", Label: "Branch", Help: "The branch whose changes are tested; empty for the default branch.", Example: "main", Type: kind.TypeText},
		{Name: "window_days", Label: "Window (days)", Help: "The last N days of changes; empty for the audit window, else 90 days.", Example: "90", Type: kind.TypeInt},
		{Name: "window_start", Label: "Window start", Help: "A fixed window's first day (instead of window days).", Example: "2026-01-01", Type: kind.TypeText},
		{Name: "window_end", Label: "Window end", Help: "A fixed window's end (excluded).", Example: "2027-01-01", Type: kind.TypeText},
		{Name: "github_repo", Label: "GitHub repository", Help: "owner/name: reviews are read from GitHub's pull requests, with the credential as the token.", Example: "acme/api", Type: kind.TypeText},
		{Name: "github_api_url", Label: "GitHub API URL", Help: "Only for GitHub Enterprise.", Example: "https://ghe.example.com/api/v3/", Type: kind.TypeText},
		{Name: "allowed_signers", Label: "Allowed SSH signers", Help: "An SSH allowed-signers file: the keys trusted to sign changes (public keys, not secrets).", Example: "dev@acme.com ssh-ed25519 AAAA...", Type: kind.TypeLong},
		{Name: "gpg_keys", Label: "OpenPGP public keys", Help: "ASCII-armored public keys trusted to sign changes.", Example: "-----BEGIN PGP PUBLIC KEY BLOCK-----", Type: kind.TypeLong},
	},
	Secret: kind.Field{Name: "secret", Label: "Token or deploy key", Help: "An HTTPS token, or an SSH deploy key (private key) for ssh:// URLs; optional for a local repository.", Example: "ghp_...", Type: kind.TypeLong}}

// Info describes the kind for the pages and the CLI.
func (Git) Info() kind.Info { return Info }
