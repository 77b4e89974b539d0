package evidence

import (
	"context"
	"io"

	"github.com/vigil-soc/vigil"
)

// SealFile seals a record's file (a background check report, a vendor's
// SOC 2 report, a questionnaire's attachment) against one control,
// answering that control's open evidence requests. The control must be
// adopted: every item in the ledger is linked to a control, and a file
// sealed against nothing would prove nothing. An empty file is refused;
// a file the browser could not name (octet-stream) is typed by its name.
func (s *Service) SealFile(ctx context.Context, ctl string, m Meta, r io.Reader) (*vigil.Evidence, error) {
	if s == nil {
		return nil, vigil.Errorf(vigil.EUNAVAILABLE, "the evidence ledger is not configured")
	}
	if ok, err := s.Store.ControlExists(ctx, ctl); err != nil {
		return nil, err
	} else if !ok {
		return nil, vigil.Errorf(vigil.ECONFLICT, "the file is sealed into the evidence ledger against %s, which the organization has not adopted: adopt %s first", ctl, ctl)
	}
	reqs, err := s.Store.Requests(ctx, ctl)
	if err != nil {
		return nil, err
	}
	m.Requests = m.Requests[:0]
	for _, q := range reqs {
		m.Requests = append(m.Requests, q.ID)
	}
	if m.DeclaredSize == 0 {
		return nil, vigil.FieldError("file", "the file %s is empty", m.Filename)
	}
	if m.MediaType == "" || m.MediaType == "application/octet-stream" {
		m.MediaType = vigil.MediaTypeFor(m.Filename)
	}
	m.Controls = []string{ctl}
	if m.Source == "" {
		m.Source = vigil.SourceUpload
	}
	return s.Upload(ctx, m, r)
}
