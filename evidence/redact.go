package evidence

import (
	"bytes"
	"io"
	"regexp"
)

// Redaction removes secrets from collected text before it is sealed into
// the ledger: once sealed, evidence cannot be edited, so a leaked key in a
// configuration snapshot would stay readable for the whole retention time.

type redaction struct {
	re   *regexp.Regexp
	repl string
	// hints are lower-case strings one of which every match contains: a
	// text holding none of them is not searched, which makes redaction of
	// ordinary text many times faster than running every expression.
	hints []string
}

var redactions = []redaction{
	{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`), "[REDACTED PRIVATE KEY]", []string{"private key-----"}},
	{regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`), "[REDACTED AWS ACCESS KEY]", []string{"akia", "asia"}},
	{regexp.MustCompile(`(?i)(aws_secret_access_key|secret_access_key)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}`), "$1$2[REDACTED]", []string{"secret_access_key"}},
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`), "[REDACTED GITHUB TOKEN]", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}},
	{regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{22,255}\b`), "[REDACTED GITHUB TOKEN]", []string{"github_pat_"}},
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`), "[REDACTED SLACK TOKEN]", []string{"xox"}},
	{regexp.MustCompile(`\bsk_(live|test)_[A-Za-z0-9]{16,}\b`), "[REDACTED STRIPE KEY]", []string{"sk_live_", "sk_test_"}},
	{regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`), "[REDACTED GOOGLE API KEY]", []string{"aiza"}},
	{regexp.MustCompile(`\bvg[lsr]_[A-Za-z0-9_-]{43}\b`), "[REDACTED VIGIL TOKEN]", []string{"vgl_", "vgs_", "vgr_"}},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b`), "[REDACTED JWT]", []string{"eyj"}},
	{regexp.MustCompile(`(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}`), "$1 [REDACTED]", []string{"bearer", "token"}},
	{regexp.MustCompile(`(?i)(://[^:/\s]+:)[^@/\s]+@`), "$1[REDACTED]@", []string{"://"}},
	{regexp.MustCompile(`(?i)("(?:password|passwd|pwd|secret|client_secret|api_key|apikey|access_token|private_key)"\s*:\s*")(?:[^"\\]|\\.)*(")`), "$1[REDACTED]$2", []string{"password\"", "passwd\"", "pwd\"", "secret\"", "api_key\"", "apikey\"", "access_token\"", "private_key\""}},
	{regexp.MustCompile(`(?i)\b(authorization\s*:\s*basic\s+)[A-Za-z0-9+/=]{8,}`), "$1[REDACTED]", []string{"basic"}},
	{regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token)["']?\s*[=:]\s*["']?)[^\s"',;]+`), "$1[REDACTED]", []string{"password", "passwd", "pwd", "secret", "api", "token"}},
}

// Redact replaces secrets in b and returns the result and how many it found.
func Redact(b []byte) ([]byte, int) {
	n := 0
	lower := bytes.ToLower(b)
	for _, r := range redactions {
		hinted := false
		for _, h := range r.hints {
			if bytes.Contains(lower, []byte(h)) {
				hinted = true
				break
			}
		}
		if !hinted {
			continue
		}
		found := 0
		b = r.re.ReplaceAllFunc(b, func(m []byte) []byte {
			found++
			return r.re.ReplaceAll(m, []byte(r.repl))
		})
		if found > 0 {
			n += found
			lower = bytes.ToLower(b)
		}
	}
	return b, n
}

// Redaction streams: text is redacted a window at a time, cut at a line
// end where no match can span the cut, so memory stays bounded whatever
// the size of the text.
const (
	redactWindow   = 1 << 20 // read this much at a time
	redactMaxCarry = 4 << 20 // the most held back waiting for a line end or a key's end
)

var (
	keyBegin = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)
	keyEnd   = regexp.MustCompile(`-----END [A-Z0-9 ]*PRIVATE KEY-----`)
)

// Redactor reads src with secrets redacted. Count is final once Read has
// returned io.EOF.
type Redactor struct {
	src     io.Reader
	carry   []byte // read, not yet redacted
	out     []byte // redacted, not yet returned
	n       int
	skipKey bool // inside a private key too long to hold: drop to its end
	eof     bool
	err     error
}

// NewRedactor returns a redacting reader of src.
func NewRedactor(src io.Reader) *Redactor { return &Redactor{src: src} }

// Count is how many secrets were redacted.
func (r *Redactor) Count() int { return r.n }

func (r *Redactor) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.eof && len(r.carry) == 0 {
			return 0, io.EOF
		}
		r.fill()
	}
	k := copy(p, r.out)
	r.out = r.out[k:]
	return k, nil
}

// fill reads a window and redacts what can be redacted safely.
func (r *Redactor) fill() {
	if !r.eof {
		buf := make([]byte, redactWindow)
		k, err := io.ReadFull(r.src, buf)
		r.carry = append(r.carry, buf[:k]...)
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			r.eof = true
		default:
			r.err = err
			return
		}
	}
	text := r.carry
	if r.skipKey {
		// The rest of an over-long private key: drop it up to its end.
		loc := keyEnd.FindIndex(text)
		if loc == nil {
			if r.eof {
				r.carry, r.skipKey = nil, false
			} else {
				r.carry = r.carry[:0]
			}
			return
		}
		text, r.skipKey = text[loc[1]:], false
	}
	cut := len(text)
	if !r.eof {
		cut = safeCut(text)
		if cut == 0 && len(text) > redactMaxCarry {
			// A private key (or a line) longer than anything real: redact
			// what is held and, for a key, everything up to its end.
			if b := keyBegin.FindIndex(text); b != nil {
				red, n := Redact(text[:b[0]])
				r.out = append(append(red, "[REDACTED PRIVATE KEY]"...), r.out...)
				r.n += n + 1
				r.carry, r.skipKey = nil, true
				return
			}
			cut = len(text)
		}
	}
	red, n := Redact(text[:cut])
	r.n += n
	r.out = red
	r.carry = append([]byte(nil), text[cut:]...)
}

// safeCut is where text may be cut for redaction: after a line end that is
// outside any private key block, and where the line before does not end
// in a separator (a value may follow on the next line) nor the next line
// start with a space (a continuation). 0 means no safe cut yet.
func safeCut(text []byte) int {
	limit := len(text)
	// An unfinished key block must stay whole: cut before it begins.
	if begins := keyBegin.FindAllIndex(text, -1); len(begins) > 0 {
		last := begins[len(begins)-1][0]
		if ends := keyEnd.FindAllIndex(text, -1); len(ends) == 0 || ends[len(ends)-1][0] < last {
			limit = last
		}
	}
	fallback := 0
	for i := limit - 1; i >= 0 && i >= limit-(64<<10); i-- {
		if text[i] != '\n' {
			continue
		}
		if fallback == 0 {
			fallback = i + 1
		}
		if i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\t') {
			continue
		}
		prev := bytes.TrimRight(text[:i], " \t\r")
		if len(prev) > 0 && (prev[len(prev)-1] == ':' || prev[len(prev)-1] == '=') {
			continue
		}
		return i + 1
	}
	if fallback == 0 && limit == len(text) {
		// One very long line (minified JSON): cut after a comma, where no
		// secret pattern but a quoted JSON value can continue.
		if i := bytes.LastIndexByte(text[:limit], ','); i >= 0 && i > limit-(64<<10) {
			return i + 1
		}
	}
	return fallback
}
