// Package mototest runs moto_server, an emulator of AWS's APIs, for tests
// of the S3 blob store and the aws integration. In front of it stands a
// small proxy that answers, from responses shaped like AWS's published
// API, the operations moto does not implement (IAM Access Analyzer's
// ListAnalyzers); every other request goes to moto unchanged.
package mototest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Start runs moto_server on a free loopback port until the test ends, sets
// test credentials in the environment, creates bucket, and returns the
// endpoint URL.
func Start(t testing.TB, bucket string) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server not found: these machines have it; install moto[server] elsewhere")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// AWS managed policies (AWSSupportAccess, AdministratorAccess) exist in
	// every real account; moto has them only when asked.
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			t.Fatalf("moto_server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	endpoint = startProxy(t, endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ac, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(ac, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return endpoint
}

// Analyzer is an IAM Access Analyzer analyzer the replay lists.
type Analyzer struct {
	Name, Type, Status string // Type ACCOUNT, ORGANIZATION, ACCOUNT_UNUSED_ACCESS...; Status ACTIVE, CREATING, DISABLED, FAILED
}

var (
	replayMu  sync.Mutex
	analyzers = map[string]map[string][]Analyzer{} // endpoint => region => analyzers
)

// AddAnalyzer makes the replay at endpoint list an analyzer in region.
func AddAnalyzer(endpoint, region string, a Analyzer) {
	replayMu.Lock()
	defer replayMu.Unlock()
	if analyzers[endpoint] == nil {
		analyzers[endpoint] = map[string][]Analyzer{}
	}
	analyzers[endpoint][region] = append(analyzers[endpoint][region], a)
}

// CredentialScope reads service and region from a SigV4 Authorization
// header: Credential=KEY/DATE/REGION/SERVICE/aws4_request.
func CredentialScope(r *http.Request) (service, region string) {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	parts := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[3], parts[2]
}

func startProxy(t testing.TB, moto string) string {
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service, region := CredentialScope(r)
		if service != "access-analyzer" {
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet || r.URL.Path != "/analyzer" {
			// What AWS answers an operation this replay does not know
			// would be its own; here it is a clear refusal.
			w.Header().Set("X-Amzn-ErrorType", "ValidationException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"the test replay answers only ListAnalyzers, not %s %s"}`, r.Method, r.URL.Path)
			return
		}
		replayMu.Lock()
		list := analyzers[endpoint][region]
		replayMu.Unlock()
		items := []map[string]any{}
		for _, a := range list {
			if typ := r.URL.Query().Get("type"); typ != "" && typ != a.Type {
				continue
			}
			items = append(items, map[string]any{"arn": "arn:aws:access-analyzer:" + region + ":123456789012:analyzer/" + a.Name,
				"name": a.Name, "type": a.Type, "status": a.Status, "createdAt": "2026-01-05T10:00:00Z"})
		}
		json.NewEncoder(w).Encode(map[string]any{"analyzers": items})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return endpoint
}
