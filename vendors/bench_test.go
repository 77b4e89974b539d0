package vendors

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// BenchmarkList2000: the inventory of 2,000 vendors, each with a SOC 2
// report (a CUEC), a DPA and an answered questionnaire, listed with
// every vendor's review and expiry state, on SQLite (the target:
// under 50 ms of server time). Signals2000 judges VM-01..VM-04 from the
// same records. BenchmarkList2000 is a repeated request (unchanged
// since the last), BenchmarkList2000Cold the first after a change.
func BenchmarkList2000(b *testing.B) {
	f, ctx := benchFixture(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		rows, err := f.svc.List(ctx)
		if err != nil || len(rows) != 2000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

// BenchmarkList2000Cold reads the inventory every time (the first
// request after a change).
func BenchmarkList2000Cold(b *testing.B) {
	f, ctx := benchFixture(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		rows, err := f.svc.list(ctx)
		if err != nil || len(rows) != 2000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

func BenchmarkSignals2000(b *testing.B) {
	f, ctx := benchFixture(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.Signals(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFixture(b *testing.B, n int) (*fixture, context.Context) {
	f := newFixtureTB(b, "VM-02", "VM-03", "VM-04", "AC-04")
	vs := make([]vigil.Vendor, n)
	for i := range vs {
		vs[i] = vigil.Vendor{Name: fmt.Sprintf("Vendor %04d", i), OwnerID: f.adminID, Tier: vigil.VendorTiers[i%4], Status: vigil.VendorActive,
			DataShared: []vigil.DataCategory{vigil.DataPersonal}, Subprocessor: i%3 == 0}
	}
	if err := f.st.ImportVendors(f.admin, vs); err != nil {
		b.Fatal(err)
	}
	body := "%PDF-1.4 report"
	ev, err := f.svc.seal(f.admin, "VM-03", "bench report", FileMeta{Filename: "r.pdf", Size: int64(len(body))}, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	for i, v := range vs {
		end := vigil.Date(f.now.AddDate(0, -i%14, 0).Format(time.DateOnly))
		d := &vigil.VendorDocument{VendorID: v.ID, Kind: vigil.DocSOC2, Title: "SOC 2", EvidenceID: ev.ID, PeriodEnd: end, ReportType: "type2", Opinion: "unqualified",
			CUECs: []vigil.CUEC{{Text: "Customers review access", Controls: []string{"AC-04"}}}}
		if err := f.st.AddVendorDocument(f.admin, d); err != nil {
			b.Fatal(err)
		}
		if err := f.st.AddVendorDocument(f.admin, &vigil.VendorDocument{VendorID: v.ID, Kind: vigil.DocDPA, Title: "DPA", EvidenceID: ev.ID}); err != nil {
			b.Fatal(err)
		}
		q := &vigil.Questionnaire{VendorID: v.ID, Template: "baseline", Contact: "a@b.test", ExpiresAt: f.now.Add(time.Hour)}
		if err := f.st.CreateQuestionnaire(f.admin, q, fmt.Sprintf("hash-%d", i)); err != nil {
			b.Fatal(err)
		}
		q.Answers, q.Score = answersAll(Templates["baseline"], func(x vigil.VendorQuestion) string { return x.Expected }), 100
		if err := f.st.SubmitQuestionnaire(f.admin, fmt.Sprintf("hash-%d", i), q); err != nil {
			b.Fatal(err)
		}
	}
	return f, f.admin
}
