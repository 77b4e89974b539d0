// Command aws-replay measures the aws integration on a large account: it
// seeds moto with the account of issue 13 (1,000 IAM users, 300 roles,
// 2,000 customer managed policies, 500 buckets, 2,000 instances over 4
// regions), records every answer the collector gets through a proxy, then
// collects again from a replay of those answers that takes a fixed time
// (5 ms by default) for each call, as a distant AWS endpoint would, and
// reports the time, the calls per service and the limit the latency sets.
//
// Usage: go run ./bench/aws-replay [-latency 5ms] [-users 1000] ...
// It needs moto_server (see the Makefile's deps).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awskind "github.com/vigil-soc/vigil/integrations/aws"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/internal/mototest"
)

func main() {
	latency := flag.Duration("latency", 5*time.Millisecond, "time the replay takes for each call")
	users := flag.Int("users", 1000, "IAM users")
	roles := flag.Int("roles", 300, "IAM roles")
	policies := flag.Int("policies", 2000, "customer managed policies")
	buckets := flag.Int("buckets", 500, "S3 buckets")
	instances := flag.Int("instances", 2000, "EC2 instances, spread over the regions")
	regions := flag.String("regions", "us-east-1,us-west-2,eu-west-1,ap-southeast-1", "regions")
	flag.Parse()
	if err := run(*latency, *users, *roles, *policies, *buckets, *instances, strings.Split(*regions, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "aws-replay:", err)
		os.Exit(1)
	}
}

func run(latency time.Duration, users, roles, policies, buckets, instances int, regions []string) error {
	moto, stop, err := startMoto()
	if err != nil {
		return err
	}
	defer stop()
	os.Setenv("AWS_ACCESS_KEY_ID", "test")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	t0 := time.Now()
	if err := seed(ctx, moto, users, roles, policies, buckets, instances, regions); err != nil {
		return fmt.Errorf("seeding moto: %w", err)
	}
	fmt.Printf("seeded moto in %s: %d users, %d roles, %d policies, %d buckets, %d instances in %d regions\n",
		time.Since(t0).Round(time.Second), users, roles, policies, buckets, instances, len(regions))

	rec := &recorder{target: moto, answers: map[string]answer{}}
	recURL, stopRec, err := serve(rec)
	if err != nil {
		return err
	}
	t0 = time.Now()
	in, err := collect(ctx, recURL, regions)
	stopRec()
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	fmt.Printf("recorded %d distinct calls from moto in %s (moto is the slow part here)\n", len(rec.answers), time.Since(t0).Round(time.Millisecond))

	rep := &replay{answers: rec.answers, latency: latency, calls: map[string]*int64{}}
	for _, a := range rec.answers {
		if rep.calls[a.service] == nil {
			rep.calls[a.service] = new(int64)
		}
	}
	repURL, stopRep, err := serve(rep)
	if err != nil {
		return err
	}
	defer stopRep()
	t0 = time.Now()
	again, err := collect(ctx, repURL, regions)
	took := time.Since(t0)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if missed := rep.missed.Load(); missed > 0 {
		return fmt.Errorf("%d calls of the replayed collection were not recorded (the collection is not deterministic)", missed)
	}
	if a, b := resources(in), resources(again); a != b {
		return fmt.Errorf("the replay gave %d resources, the recording %d", b, a)
	}
	var total int64
	var lines []string
	for svc, n := range rep.calls {
		total += *n
		lines = append(lines, fmt.Sprintf("  %-16s %6d", svc, *n))
	}
	sort.Strings(lines)
	fmt.Printf("collected from the replay (%s a call) in %s: %d resources, %d calls\n", latency, took.Round(time.Millisecond), resources(again), total)
	fmt.Println(strings.Join(lines, "\n"))
	serial := time.Duration(total) * latency
	fmt.Printf("limit: %d calls one after another would take %s; at the collector's 16 calls in flight, %s; measured %.1fx that\n",
		total, serial.Round(time.Millisecond), (serial / 16).Round(time.Millisecond), float64(took)/float64(serial/16))
	return nil
}

// collect runs the aws kind against endpoint.
func collect(ctx context.Context, endpoint string, regions []string) (map[string]map[string]any, error) {
	cfg, _ := json.Marshal(map[string]any{"regions": regions, "endpoint": endpoint})
	return awskind.AWS{}.Collect(ctx, &kind.Run{Config: cfg, Secret: "test:test", Now: time.Now()})
}

// resources counts the resources of every list in an input.
func resources(in map[string]map[string]any) int {
	n := 0
	for _, col := range in {
		for _, v := range col {
			if l, ok := v.([]any); ok {
				n += len(l)
			}
		}
	}
	return n
}

type answer struct {
	service string
	status  int
	header  http.Header
	body    []byte
}

// key names a call by what the client sent: the service and region it
// signed for, the method, path, query and body (not the signature or
// the date, which change).
func key(r *http.Request, body []byte) (string, string) {
	service, region := mototest.CredentialScope(r)
	h := sha256.Sum256(body)
	return service, strings.Join([]string{service, region, r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Amz-Target"), hex.EncodeToString(h[:])}, " ")
}

// recorder passes calls to moto and keeps each answer.
type recorder struct {
	target  string
	mu      sync.Mutex
	answers map[string]answer
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	service, k := key(r, body)
	u, _ := url.Parse(rc.target)
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host, out.RequestURI = u.Scheme, u.Host, u.Host, ""
	out.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	rc.mu.Lock()
	rc.answers[k] = answer{service, resp.StatusCode, resp.Header.Clone(), rb}
	rc.mu.Unlock()
	write(w, resp.StatusCode, resp.Header, rb)
}

// replay answers recorded calls after latency.
type replay struct {
	answers map[string]answer
	latency time.Duration
	calls   map[string]*int64
	missed  atomic.Int64
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_, k := key(r, body)
	time.Sleep(rp.latency)
	a, ok := rp.answers[k]
	if !ok {
		rp.missed.Add(1)
		http.Error(w, "not recorded: "+k, http.StatusNotImplemented)
		return
	}
	atomic.AddInt64(rp.calls[a.service], 1)
	write(w, a.status, a.header, a.body)
}

func write(w http.ResponseWriter, status int, h http.Header, body []byte) {
	for k, vs := range h {
		if k == "Content-Length" || k == "Date" {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	w.Write(body)
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func startMoto() (string, func(), error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return "", nil, fmt.Errorf("moto_server not found")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if resp, err := http.Get(endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 400 {
			cmd.Process.Kill()
			return "", nil, fmt.Errorf("moto_server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return endpoint, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

// seed plants the account in moto, several calls at a time.
func seed(ctx context.Context, endpoint string, users, roles, policies, buckets, instances int, regions []string) error {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(regions[0]), awsconfig.WithBaseEndpoint(endpoint))
	if err != nil {
		return err
	}
	ic := iam.NewFromConfig(cfg)
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil && err != nil {
			firstErr = err
		}
		mu.Unlock()
	}
	par := func(n int, f func(i int) error) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := 0; i < n; i++ {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				fail(f(i))
			})
		}
		wg.Wait()
	}
	doc := func(action string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`)
	}
	arns := make([]string, policies)
	par(policies, func(i int) error {
		out, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("policy-%04d", i)), PolicyDocument: doc(fmt.Sprintf("s3:Get%d*", i))})
		if err == nil {
			arns[i] = aws.ToString(out.Policy.Arn)
		}
		return err
	})
	if firstErr != nil {
		return firstErr
	}
	par(users, func(i int) error {
		name := fmt.Sprintf("user-%04d", i)
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: &name}); err != nil {
			return err
		}
		_, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &name, PolicyArn: &arns[i%policies]})
		return err
	})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	par(roles, func(i int) error {
		name := fmt.Sprintf("role-%04d", i)
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust}); err != nil {
			return err
		}
		_, err := ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &name, PolicyArn: &arns[(i*7)%policies]})
		return err
	})
	par(buckets, func(i int) error {
		_, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(fmt.Sprintf("bench-bucket-%04d", i))})
		return err
	})
	per := instances / len(regions)
	for _, region := range regions {
		ec := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
		for left := per; left > 0; left -= 500 {
			n := min(left, 500)
			if _, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(int32(n)), MaxCount: aws.Int32(int32(n)),
				InstanceType: ec2types.InstanceTypeT3Micro}); err != nil {
				return err
			}
		}
	}
	return firstErr
}
