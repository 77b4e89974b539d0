package aws

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// refuse answers like AWS does to a principal without the permission: 403
// with AccessDenied in the shape of the query protocols, the error type
// header of the JSON ones.
func refuse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-ErrorType", "AccessDeniedException")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied by the test</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
}

// awsChecks are the built-in checks of the aws kind, by id.
func awsChecks(t *testing.T) []string {
	t.Helper()
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range reg.Checks() {
		if strings.HasPrefix(c.Collector, "aws.") {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// runAgainst runs the aws kind once against endpoint, without testing the
// connection first (a refused test would stop it), and gives every
// result's verdict and reason by "check resource".
func runAgainst(t *testing.T, endpoint string, regions []string) (got, why map[string]string) {
	t.Helper()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, AWS{})
	conf, _ := json.Marshal(map[string]any{"regions": regions, "endpoint": endpoint})
	x := &vigil.Integration{Kind: "aws", Name: "refused", Config: conf, Interval: 3600, Enabled: true}
	if err := s.Create(integrationtest.Ctx, x, "test:test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(integrationtest.Ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Store.CurrentResults(integrationtest.Ctx, x.AgentID, "")
	if err != nil {
		t.Fatal(err)
	}
	got, why = map[string]string{}, map[string]string{}
	for _, r := range rs {
		got[r.CheckID+" "+r.Resource], why[r.CheckID+" "+r.Resource] = r.Verdict, r.Reason
	}
	return got, why
}

// byCheck groups results by check id: resource → verdict.
func byCheck(got map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for k, v := range got {
		id, res, _ := strings.Cut(k, " ")
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][res] = v
	}
	return out
}

// TestAWSEverythingRefused: credentials that may read nothing. Every AWS
// check gives at least one result and every result is an error: no pass,
// no fail, no "not applicable" for what could not be read.
func TestAWSEverythingRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(refuse))
	defer srv.Close()
	got, why := runAgainst(t, srv.URL, []string{"eu-west-1", "us-east-1"})
	results := byCheck(got)
	for _, id := range awsChecks(t) {
		if len(results[id]) == 0 {
			t.Errorf("%s gave no result at all", id)
		}
		for res, v := range results[id] {
			if v != "error" {
				t.Errorf("%s %s: %s (%s), want error: nothing could be read", id, res, v, why[id+" "+res])
			}
		}
	}
}

// TestAWSRegionRefused: one region of two refuses every call (an SCP that
// denies a region, say). Every check that judges resources region by
// region has an error for that region, and nothing in it passes or is
// called not applicable; the other region is judged.
func TestAWSRegionRefused(t *testing.T) {
	moto := mototest.Start(t, "vigil-unused")
	target, _ := url.Parse(moto)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, region := mototest.CredentialScope(r); region == "us-west-2" {
			refuse(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	got, why := runAgainst(t, srv.URL, []string{"us-east-1", "us-west-2"})
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The checks over a list read region by region (awsRegionalReads).
	regional := map[string]bool{}
	for _, c := range reg.Checks() {
		for _, part := range awsRegionalReads {
			if c.Collector == part.collector && strings.Contains(c.Select, "input."+part.list) {
				regional[c.ID] = true
			}
		}
	}
	results := byCheck(got)
	for id, rs := range results {
		for res, v := range rs {
			if strings.HasPrefix(res, "us-west-2") && v != "error" {
				t.Errorf("%s %s: %s (%s), want error: the region refused every call", id, res, v, why[id+" "+res])
			}
		}
	}
	for id := range regional {
		found := false
		for res, v := range results[id] {
			found = found || strings.HasPrefix(res, "us-west-2") && v == "error"
		}
		if !found {
			t.Errorf("%s says nothing of us-west-2, which refused every call: %v", id, results[id])
		}
	}
	// CloudTrail is read in every region too, and judged per region.
	if v := got["aws.cloudtrail us-west-2"]; v != "error" {
		t.Errorf("aws.cloudtrail us-west-2: %q (%s), want error", v, why["aws.cloudtrail us-west-2"])
	}
	t.Logf("%d checks judged region by region, each with an error for the refused region", len(regional))
	if len(regional) < 80 {
		t.Errorf("only %d checks are regional", len(regional))
	}
}
