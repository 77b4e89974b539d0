package vigil

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks what an agent says about its host.
func (h *HostInfo) Validate() error {
	for _, f := range []struct{ name, v string }{{"hostname", h.Hostname}, {"os", h.OS}, {"kernel", h.Kernel}, {"agent_version", h.Version}} {
		if len(f.v) > 255 || !utf8.ValidString(f.v) || strings.ContainsAny(f.v, "\x00\n\r") {
			return &Error{Code: EINVALID, Field: f.name, Message: f.name + " must be one line of at most 255 characters"}
		}
	}
	if h.Hostname == "" {
		return &Error{Code: EINVALID, Field: "hostname", Message: "hostname is required"}
	}
	if h.Interval < 60 || h.Interval > 86400 {
		return &Error{Code: EINVALID, Field: "interval_seconds", Message: "the report interval must be between 60 and 86400 seconds"}
	}
	return nil
}

// Limits on a report: an agent cannot fill the database.
const (
	MaxReportResults = 20000
	MaxReasonLen     = 2000
	MaxReportInput   = 8 << 20
)

var (
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	verdicts      = map[string]bool{"pass": true, "fail": true, "error": true, "skip": true, "not_applicable": true}
)

// Validate checks a report's shape, naming the first problem.
func (r *AgentReport) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if r.Seq < 1 {
		return bad("seq", "seq must be 1 or more")
	}
	if r.ScannedAt.IsZero() {
		return bad("scanned_at", "scanned_at is required")
	}
	if err := r.Host.Validate(); err != nil {
		return err
	}
	if len(r.Results)+len(r.Removed) > MaxReportResults {
		return &Error{Code: ETOOLARGE, Field: "results", Message: fmt.Sprintf("a report carries at most %d results", MaxReportResults)}
	}
	seen := make(map[[2]string]bool, len(r.Results))
	for i, x := range append(append([]CheckResult{}, r.Results...), r.Removed...) {
		field := fmt.Sprintf("results[%d]", i)
		switch {
		case !checkIDPattern.MatchString(x.CheckID) || len(x.CheckID) > 200:
			return bad(field+".check", "%q is not a check ID", clip(x.CheckID))
		case x.Resource == "" || len(x.Resource) > 1024 || !utf8.ValidString(x.Resource) || strings.ContainsRune(x.Resource, 0):
			return bad(field+".resource", "the resource must be 1 to 1024 characters of text")
		case len(x.Reason) > MaxReasonLen || !utf8.ValidString(x.Reason) || strings.ContainsRune(x.Reason, 0):
			return bad(field+".reason", "the reason must be text of at most %d bytes", MaxReasonLen)
		case i < len(r.Results) && !verdicts[x.Verdict]:
			return bad(field+".verdict", "%q is not a verdict (pass, fail, error, skip, not_applicable)", clip(x.Verdict))
		}
		k := [2]string{x.CheckID, x.Resource}
		if seen[k] {
			return bad(field, "%s / %s appears twice", x.CheckID, clip(x.Resource))
		}
		seen[k] = true
	}
	if len(r.Disabled) > 1000 {
		return bad("disabled", "at most 1000 checks can be disabled")
	}
	for id, why := range r.Disabled {
		if !checkIDPattern.MatchString(id) {
			return bad("disabled", "%q is not a check ID", clip(id))
		}
		if n := len(strings.TrimSpace(why)); n < 10 || len(why) > MaxReasonLen || !utf8.ValidString(why) || strings.ContainsRune(why, 0) {
			return bad("disabled", "disabling %s needs a justification of 10 to %d characters", id, MaxReasonLen)
		}
	}
	// The hash comes with every report, with or without the input, and is
	// stored with every run: it must be a SHA-256, not a payload.
	if r.InputSHA256 != "" && !sha256Pattern.MatchString(r.InputSHA256) {
		return bad("input_sha256", "input_sha256 must be a SHA-256 in lowercase hex (64 characters)")
	}
	if r.Input != "" {
		if len(r.Input) > MaxReportInput {
			return &Error{Code: ETOOLARGE, Field: "input", Message: fmt.Sprintf("the input is over %d bytes", MaxReportInput)}
		}
		raw, err := base64.StdEncoding.DecodeString(r.Input)
		if err != nil {
			return bad("input", "input is not base64")
		}
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != r.InputSHA256 {
			return bad("input_sha256", "input_sha256 does not match the input")
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return bad("input", "input is not gzip")
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(zr, 64<<20)); err != nil {
			return bad("input", "input is not valid gzip: %v", err)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// EncodeInput is the normalized collector input as gzip JSON (map keys
// sorted by encoding/json, so equal state gives equal bytes) and its hash.
func EncodeInput(in map[string]map[string]any) (string, string, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.ModTime = time.Time{} // no timestamp: equal input, equal bytes
	if err := json.NewEncoder(zw).Encode(in); err != nil {
		return "", "", err
	}
	if err := zw.Close(); err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// AttachInput names the normalized input in a report the server makes
// itself (the server's own host, an integration) and carries its bytes
// unless they are over MaxReportInput, so its runs are sealed in the daily
// manifest and count as heartbeats like an agent's.
func (r *AgentReport) AttachInput(in map[string]map[string]any) error {
	sha, gz, err := EncodeInput(in)
	if err != nil {
		return err
	}
	r.InputSHA256 = sha
	if len(gz) <= MaxReportInput {
		r.Input = gz
	}
	return nil
}
