package policy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
)

// MaxAttachment bounds a policy kept as a PDF or DOCX attachment.
const MaxAttachment = 20 << 20

// Upload is what an existing policy document became.
type Upload struct {
	Kind string `json:"kind"` // markdown, text, html, pdf, docx
	// EvidenceID is the ledger item holding a PDF or DOCX attachment.
	EvidenceID int64  `json:"evidence_id,omitempty"`
	SHA256     string `json:"sha256"` // of the file uploaded
}

// docKind says what an uploaded document is, from its bytes first and its
// name second: a file named .md that holds a PDF is a PDF.
func docKind(name string, data []byte) (string, error) {
	ext := strings.ToLower(path.Ext(name))
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return "pdf", nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return "", vigil.FieldError("file", "%s is a damaged zip archive, not a DOCX document", name)
		}
		for _, f := range zr.File {
			if f.Name == "word/document.xml" {
				return "docx", nil
			}
		}
		return "", vigil.FieldError("file", "%s is a zip archive but not a Word (DOCX) document", name)
	case !utf8.Valid(data):
		return "", vigil.FieldError("file", "%s is neither UTF-8 text (Markdown, plain text, HTML) nor a PDF or DOCX document", name)
	}
	head := strings.ToLower(strings.TrimSpace(string(data[:min(len(data), 512)])))
	switch {
	case ext == ".html" || ext == ".htm" || strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html"):
		return "html", nil
	case ext == ".txt":
		return "text", nil
	case ext == ".md" || ext == ".markdown" || ext == "":
		return "markdown", nil
	}
	return "", vigil.FieldError("file", "%s: upload Markdown (.md), plain text (.txt), HTML, PDF or DOCX", name)
}

// UploadPolicy makes a draft policy from an existing document. Markdown
// and text become its text as they are; HTML is sanitized and turned into
// Markdown (so it renders, exports and diffs like any policy, and no
// script survives); a PDF or DOCX is kept whole in the evidence ledger
// and the draft's text names it by its SHA-256, so that what approvers
// approve and people acknowledge is that exact document. Nothing is
// stored when the policy's settings or the document are refused.
func (s *Service) UploadPolicy(ctx context.Context, p *vigil.Policy, filename string, data []byte) (*Upload, error) {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner creates a policy")
	}
	filename = path.Base(strings.ReplaceAll(strings.TrimSpace(filename), "\\", "/"))
	if filename == "" || filename == "." || filename == "/" {
		return nil, vigil.FieldError("filename", "name the file")
	}
	if len(data) == 0 {
		return nil, vigil.FieldError("file", "%s is empty", filename)
	}
	kind, err := docKind(filename, data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	up := &Upload{Kind: kind, SHA256: hex.EncodeToString(sum[:])}
	if strings.TrimSpace(p.Title) == "" {
		p.Title = strings.TrimSuffix(filename, path.Ext(filename))
	}
	var body string
	switch kind {
	case "markdown", "text":
		body = string(data)
	case "html":
		// Sanitized first: the converter keeps what it does not know as
		// HTML, which the renderer then drops; nothing active reaches it.
		clean := sanitizer.SanitizeBytes(data)
		md, err := htmltomarkdown.ConvertString(string(clean))
		if err != nil {
			return nil, vigil.FieldError("file", "%s cannot be read as HTML: %v", filename, err)
		}
		body = md
	case "pdf", "docx":
		if len(data) > MaxAttachment {
			return nil, vigil.FieldError("file", "%s is larger than %d MiB", filename, MaxAttachment>>20)
		}
		// The settings are checked before the document is sealed: a
		// refused policy leaves nothing in the ledger.
		if err := s.checkNew(ctx, p); err != nil {
			return nil, err
		}
		controls, err := s.existingControls(ctx, append([]string{vigil.PolicySetControl}, p.Controls...))
		if err != nil {
			return nil, err
		}
		if len(controls) == 0 {
			return nil, vigil.Errorf(vigil.ECONFLICT, "a PDF or DOCX policy is kept in the evidence ledger, which links every item to a control: adopt GV-01 first")
		}
		media := "application/pdf"
		if kind == "docx" {
			media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		}
		day := vigil.Date(s.now().UTC().Format(time.DateOnly))
		ev, err := s.Evidence.Upload(ctx, evidence.Meta{Source: vigil.SourceUpload, Title: p.Title + ": the policy document as uploaded", Filename: filename,
			MediaType: media, EffectiveStart: day, EffectiveEnd: day, Controls: controls, DeclaredSHA256: up.SHA256, DeclaredSize: int64(len(data))}, bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		up.EvidenceID = ev.ID
		body = fmt.Sprintf("# %s\n\nThe text of this policy is the attached document **%s** (%s, %d bytes), kept in the evidence ledger as item [#%d](/evidence/%d/download).\n\n"+
			"SHA-256 of the document: `%s`\n\nApproving, publishing or acknowledging this version applies to that document exactly; a changed document has another SHA-256 and is a new version.\n",
			p.Title, filename, strings.ToUpper(kind), len(data), ev.ID, ev.ID, up.SHA256)
	}
	if err := vigil.ValidateBody(body); err != nil {
		return nil, err
	}
	if err := s.Create(ctx, p, body); err != nil {
		return nil, err
	}
	return up, nil
}

// checkNew checks a new policy's settings against the users as they are,
// as CreatePolicy will again inside its transaction.
func (s *Service) checkNew(ctx context.Context, p *vigil.Policy) error {
	ok := func(id int64) bool {
		u, err := s.Store.User(ctx, id)
		return err == nil && !u.Disabled && (u.Role.Can(vigil.PermManage) || u.Role.Can(vigil.PermEditOwnControl))
	}
	if err := p.Validate(ok); err != nil {
		return err
	}
	if !ok(p.OwnerID) {
		return vigil.FieldError("owner_id", "user %d cannot own a policy (unknown, disabled, or a role that writes nothing)", p.OwnerID)
	}
	return nil
}
