package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// A streamed upload page takes files up to its own limit, not the 1 MiB
// every other form is held to: a 3 MiB PDF becomes a policy draft from
// the policies page, and one over the policy limit is refused by name.
func TestPageUploadsTakeTheirOwnLimit(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-01"}, "owner_id": e.users["admin"]}, 200, nil)
	admin := e.sessions()["admin"]
	upload := func(size int) (int, http.Header) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, kv := range [][2]string{{"csrf", admin.csrf}, {"title", "Incident Response"}, {"owner_id", strconv.FormatInt(e.users["admin"], 10)},
			{"approvers", strconv.FormatInt(e.users["owner"], 10)}, {"quorum", "1"}} {
			mw.WriteField(kv[0], kv[1])
		}
		fw, _ := mw.CreateFormFile("file", "ir.pdf")
		fw.Write([]byte("%PDF-1.4\n"))
		fw.Write(bytes.Repeat([]byte("0"), size))
		fw.Write([]byte("\n%%EOF\n"))
		mw.Close()
		req, _ := http.NewRequest("POST", e.http.URL+"/policies/upload", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: "vigil_session", Value: admin.cookie})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header
	}
	status, h := upload(3 << 20)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/policies/") || strings.Contains(h.Get("Location"), "#upload") {
		t.Fatalf("a 3 MiB PDF: %d to %s (%s)", status, h.Get("Location"), flashOf(h))
	}
	status, h = upload(21 << 20)
	if status == http.StatusSeeOther && !strings.Contains(flashOf(h), "Not uploaded") {
		t.Fatalf("a 21 MiB PDF was taken: %d %s", status, flashOf(h))
	}
}
