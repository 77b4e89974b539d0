package evidence

import "regexp"

// Redaction removes secrets from collected text before it is sealed into
// the ledger: once sealed, evidence cannot be edited, so a leaked key in a
// configuration snapshot would stay readable for the whole retention time.

type redaction struct {
	re   *regexp.Regexp
	repl string
}

var redactions = []redaction{
	{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`), "[REDACTED PRIVATE KEY]"},
	{regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`), "[REDACTED AWS ACCESS KEY]"},
	{regexp.MustCompile(`(?i)(aws_secret_access_key|secret_access_key)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}`), "$1$2[REDACTED]"},
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`), "[REDACTED GITHUB TOKEN]"},
	{regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{22,255}\b`), "[REDACTED GITHUB TOKEN]"},
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`), "[REDACTED SLACK TOKEN]"},
	{regexp.MustCompile(`\bsk_(live|test)_[A-Za-z0-9]{16,}\b`), "[REDACTED STRIPE KEY]"},
	{regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`), "[REDACTED GOOGLE API KEY]"},
	{regexp.MustCompile(`\bvg[lsr]_[A-Za-z0-9_-]{43}\b`), "[REDACTED VIGIL TOKEN]"},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b`), "[REDACTED JWT]"},
	{regexp.MustCompile(`(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}`), "$1 [REDACTED]"},
	{regexp.MustCompile(`(?i)(://[^:/\s]+:)[^@/\s]+@`), "$1[REDACTED]@"},
	{regexp.MustCompile(`(?i)("(?:password|passwd|pwd|secret|client_secret|api_key|apikey|access_token|private_key)"\s*:\s*")(?:[^"\\]|\\.)*(")`), "$1[REDACTED]$2"},
	{regexp.MustCompile(`(?i)\b(authorization\s*:\s*basic\s+)[A-Za-z0-9+/=]{8,}`), "$1[REDACTED]"},
	{regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token)["']?\s*[=:]\s*["']?)[^\s"',;]+`), "$1[REDACTED]"},
}

// Redact replaces secrets in b and returns the result and how many it found.
func Redact(b []byte) ([]byte, int) {
	n := 0
	for _, r := range redactions {
		b = r.re.ReplaceAllFunc(b, func(m []byte) []byte {
			n++
			return r.re.ReplaceAll(m, []byte(r.repl))
		})
	}
	return b, n
}
