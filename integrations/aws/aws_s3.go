package aws

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/vigil-soc/vigil/integrations/aws/policy"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// blockSettings is a Block Public Access configuration, at the bucket or
// the account level; nil when it could not be read.
type blockSettings struct {
	BlockPublicAcls       bool `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `xml:"RestrictPublicBuckets"`
}

func (b *blockSettings) asMap() map[string]any {
	return map[string]any{"block_public_acls": b.BlockPublicAcls, "ignore_public_acls": b.IgnorePublicAcls,
		"block_public_policy": b.BlockPublicPolicy, "restrict_public_buckets": b.RestrictPublicBuckets}
}

// either is a Block Public Access setting in effect for a bucket: S3
// applies the most restrictive combination of the bucket's and the
// account's settings. known is false when one level could not be read and
// the other does not settle it.
func either(bucket, account *blockSettings, get func(*blockSettings) bool) (on, known bool) {
	if (bucket != nil && get(bucket)) || (account != nil && get(account)) {
		return true, true
	}
	return false, bucket != nil && account != nil
}

// awsS3 reads every bucket (through a client in the bucket's own region:
// S3 refuses requests about a bucket signed for another region): its
// encryption, Block Public Access, versioning, ACL and policy, sixteen
// buckets at a time; and the account's Block Public Access, which applies
// to every bucket.
//
// Each bucket gives {id, region, encryption, versioning, block (the
// bucket's own settings), public_block (all four settings in effect, at
// the bucket or account level), public_acl (ACL grants to everyone or to
// any AWS user), public_policy (policy statements that allow anyone),
// acl_ignored and policy_restricted (Block Public Access neutralises them),
// and *_error for each aspect that could not be read}. public_error says
// the bucket's public exposure cannot be told: an unread ACL or policy
// that Block Public Access does not neutralise, or a public grant whose
// neutralisation is unknown.
func awsS3(ctx context.Context, cfg aws.Config, c *awsConfig) map[string]any {
	out := map[string]any{"buckets": []any{}}
	clients := map[string]*s3.Client{}
	var cmu sync.Mutex
	client := func(region string) *s3.Client {
		cmu.Lock()
		defer cmu.Unlock()
		if cl, ok := clients[region]; ok {
			return cl
		}
		cl := s3.NewFromConfig(inRegion(cfg, region), func(o *s3.Options) { o.UsePathStyle = c.Endpoint != "" })
		clients[region] = cl
		return cl
	}
	home := client(cfg.Region)
	var list []s3types.Bucket
	// Paged: one ListBuckets answer holds at most 10,000 buckets.
	if err := awsPages("s3:ListAllMyBuckets", func(tok *string) (*string, error) {
		page, err := home.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: tok})
		if err != nil {
			return nil, err
		}
		list = append(list, page.Buckets...)
		return page.ContinuationToken, nil
	}); err != nil {
		out["error"] = describeAWS("s3:ListAllMyBuckets", err)
		return out
	}
	var account *blockSettings
	var accountErr string
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		if account, err = s3AccountBlock(ctx, cfg, c.Endpoint); err != nil {
			accountErr = err.Error()
		}
	})
	type read struct {
		m      map[string]any
		bucket *blockSettings
	}
	reads := make([]read, len(list))
	sem := make(chan struct{}, awsParallel)
	for i, b := range list {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			reads[i].m, reads[i].bucket = s3Bucket(ctx, home, client, b, c)
		})
	}
	wg.Wait()
	if account != nil {
		out["account_public_block"] = account.asMap()
	} else {
		out["account_public_block_error"] = accountErr
	}
	buckets := make([]any, len(reads))
	for i, rd := range reads {
		s3Exposure(rd.m, rd.bucket, account, accountErr)
		buckets[i] = rd.m
	}
	out["buckets"] = sortByID(buckets)
	return out
}

// s3Bucket reads one bucket. Each aspect carries its own error, so a
// refused call leaves the other aspects judged.
func s3Bucket(ctx context.Context, home *s3.Client, client func(string) *s3.Client, b s3types.Bucket, c *awsConfig) (map[string]any, *blockSettings) {
	name := aws.ToString(b.Name)
	m := map[string]any{"id": name, "encryption": false, "public_block": false, "versioning": "", "public_acl": []any{}, "public_policy": []any{}}
	region := aws.ToString(b.BucketRegion)
	if region == "" {
		// ListBuckets names the region since 2024; older endpoints (and
		// emulators) do not, and GetBucketLocation does.
		loc, err := home.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &name})
		if err != nil {
			msg := describeAWS("s3:GetBucketLocation on "+name, err)
			for _, k := range []string{"encryption_error", "public_block_error", "versioning_error", "acl_error", "policy_error", "ownership_error"} {
				m[k] = msg
			}
			return m, nil
		}
		region = bucketRegion(loc.LocationConstraint)
	}
	m["region"] = region
	cl := client(region)
	if _, err := cl.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &name}); err == nil {
		m["encryption"] = true
	} else if !apiCode(err, "ServerSideEncryptionConfigurationNotFoundError") {
		m["encryption_error"] = describeAWS("s3:GetEncryptionConfiguration on "+name, err)
	}
	var bucket *blockSettings
	if pab, err := cl.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &name}); err == nil {
		p := pab.PublicAccessBlockConfiguration
		bucket = &blockSettings{aws.ToBool(p.BlockPublicAcls), aws.ToBool(p.IgnorePublicAcls), aws.ToBool(p.BlockPublicPolicy), aws.ToBool(p.RestrictPublicBuckets)}
	} else if apiCode(err, "NoSuchPublicAccessBlockConfiguration") {
		bucket = &blockSettings{}
	} else {
		m["public_block_error"] = describeAWS("s3:GetBucketPublicAccessBlock on "+name, err)
	}
	if bucket != nil {
		m["block"] = bucket.asMap()
	}
	// Status is "Enabled", "Suspended", or empty when versioning was
	// never turned on.
	if v, err := cl.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &name}); err == nil {
		m["versioning"] = string(v.Status)
		m["mfa_delete"] = v.MFADelete == s3types.MFADeleteStatusEnabled
	} else {
		m["versioning_error"] = describeAWS("s3:GetBucketVersioning on "+name, err)
	}
	if acl, err := cl.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &name}); err == nil {
		m["public_acl"] = publicGrants(acl.Grants)
	} else {
		m["acl_error"] = describeAWS("s3:GetBucketAcl on "+name, err)
	}
	// ACLs are out of use only when the bucket owner owns every object
	// (BucketOwnerEnforced); without ownership controls, ACLs apply.
	if oc, err := cl.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &name}); err == nil {
		m["acls_disabled"] = oc.OwnershipControls != nil && slices.ContainsFunc(oc.OwnershipControls.Rules, func(r s3types.OwnershipControlsRule) bool {
			return r.ObjectOwnership == s3types.ObjectOwnershipBucketOwnerEnforced
		})
	} else if apiCode(err, "OwnershipControlsNotFoundError") {
		m["acls_disabled"] = false
	} else {
		m["ownership_error"] = describeAWS("s3:GetBucketOwnershipControls on "+name, err)
	}
	m["tls_only"] = false
	m["other_accounts"] = []any{}
	if pol, err := cl.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name}); err == nil {
		// Parsed once, judged three ways.
		if d, err := policy.Parse(aws.ToString(pol.Policy)); err != nil {
			m["policy_error"] = "the policy of " + name + " cannot be read: " + err.Error()
		} else {
			m["public_policy"] = publicStatements(d)
			m["tls_only"] = tlsOnly(d, name)
			if c.account == "" {
				m["other_accounts_error"] = c.accountErr
			} else {
				m["other_accounts"] = kind.ToAny(policy.OtherAccounts(d, c.account, bucketAdminRequests(name)))
			}
		}
	} else if !apiCode(err, "NoSuchBucketPolicy") {
		m["policy_error"] = describeAWS("s3:GetBucketPolicy on "+name, err)
	}
	if l, err := cl.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: &name}); err == nil {
		m["logging"] = l.LoggingEnabled != nil
	} else {
		m["logging_error"] = describeAWS("s3:GetBucketLogging on "+name, err)
	}
	if o, err := cl.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &name}); err == nil {
		m["object_lock"] = o.ObjectLockConfiguration != nil && o.ObjectLockConfiguration.ObjectLockEnabled == s3types.ObjectLockEnabledEnabled
	} else if apiCode(err, "ObjectLockConfigurationNotFoundError") {
		m["object_lock"] = false
	} else {
		m["object_lock_error"] = describeAWS("s3:GetBucketObjectLockConfiguration on "+name, err)
	}
	return m, bucket
}

// s3Exposure combines a bucket's ACL and policy with the Block Public
// Access in effect (see awsS3).
func s3Exposure(m map[string]any, bucket, account *blockSettings, accountErr string) {
	name := m["id"].(string)
	bucketErr, _ := m["public_block_error"].(string)
	unknownBlock := func() string {
		var why []string
		if bucket == nil {
			why = append(why, bucketErr)
		}
		if account == nil {
			why = append(why, accountErr)
		}
		return strings.Join(why, "; ")
	}
	// All four in effect, each from either level: known to be off as soon
	// as one setting is off at both levels; unknown when none is known to
	// be off but one cannot be told.
	all, off := true, false
	for _, get := range []func(*blockSettings) bool{
		func(b *blockSettings) bool { return b.BlockPublicAcls }, func(b *blockSettings) bool { return b.IgnorePublicAcls },
		func(b *blockSettings) bool { return b.BlockPublicPolicy }, func(b *blockSettings) bool { return b.RestrictPublicBuckets }} {
		on, known := either(bucket, account, get)
		all = all && on
		off = off || (!on && known)
	}
	m["public_block"] = all
	delete(m, "public_block_error")
	if !all && !off {
		m["public_block_error"] = "Block Public Access of " + name + " cannot be told: " + unknownBlock()
	}
	ignored, ignoredKnown := either(bucket, account, func(b *blockSettings) bool { return b.IgnorePublicAcls })
	restricted, restrictedKnown := either(bucket, account, func(b *blockSettings) bool { return b.RestrictPublicBuckets })
	m["acl_ignored"], m["policy_restricted"] = ignored, restricted
	var why []string
	if e, ok := m["acl_error"].(string); ok && !ignored {
		why = append(why, e)
	} else if len(m["public_acl"].([]any)) > 0 && !ignored && !ignoredKnown {
		why = append(why, "the ACL grants public access and whether IgnorePublicAcls neutralises it cannot be told: "+unknownBlock())
	}
	if e, ok := m["policy_error"].(string); ok && !restricted {
		why = append(why, e)
	} else if len(m["public_policy"].([]any)) > 0 && !restricted && !restrictedKnown {
		why = append(why, "the policy grants public access and whether RestrictPublicBuckets neutralises it cannot be told: "+unknownBlock())
	}
	if len(why) > 0 {
		m["public_error"] = strings.Join(why, "; ")
	}
}

// publicGrants lists the ACL grants to everyone (AllUsers) or to anyone
// with an AWS account (AuthenticatedUsers), e.g. "AllUsers READ".
func publicGrants(grants []s3types.Grant) []any {
	var out []any
	for _, g := range grants {
		if g.Grantee == nil || g.Grantee.Type != s3types.TypeGroup {
			continue
		}
		uri := aws.ToString(g.Grantee.URI)
		for _, who := range []string{"AllUsers", "AuthenticatedUsers"} {
			if uri == "http://acs.amazonaws.com/groups/global/"+who {
				out = append(out, "ACL grants "+string(g.Permission)+" to "+who)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
	return kind.NonNil(out)
}

// publicStatements lists the statements of a bucket policy that make the
// bucket public, by S3's rules (policy.Public): an Allow to anyone whose
// conditions do not restrict the caller. Deny statements are not
// credited: the analysis errs on the side of "public".
func publicStatements(d *policy.Document) []any {
	var out []any
	for _, why := range policy.Public(d, "s3") {
		out = append(out, "policy "+why)
	}
	return kind.NonNil(out)
}

// s3AccountBlock reads the account's Block Public Access
// (s3control:GetPublicAccessBlock, permission s3:GetAccountPublicAccessBlock);
// all off when none is set. The SDK's S3 Control client is not a
// dependency of this module, so the one GET is signed here (SigV4,
// service "s3"), as the SDK would.
func s3AccountBlock(ctx context.Context, cfg aws.Config, endpoint string) (*blockSettings, error) {
	const what = "s3:GetAccountPublicAccessBlock"
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, errors.New(describeAWS("sts:GetCallerIdentity (the account's ID, to read its S3 Block Public Access)", err))
	}
	account := aws.ToString(id.Account)
	base := "https://" + account + ".s3-control." + cfg.Region + ".amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		base += ".cn"
	}
	if endpoint != "" {
		base = strings.TrimSuffix(endpoint, "/")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v20180820/configuration/publicAccessBlock", nil)
	if err != nil {
		return nil, err
	}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("x-amz-account-id", account)
	req.Header.Set("x-amz-content-sha256", emptySHA256)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: the credentials: %v", what, err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, "s3", cfg.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("%s: signing: %v", what, err)
	}
	var hc interface {
		Do(*http.Request) (*http.Response, error)
	} = http.DefaultClient
	if cfg.HTTPClient != nil {
		hc = cfg.HTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return parseAccountBlock(resp.StatusCode, body)
}

// parseAccountBlock reads S3 Control's answer to GetPublicAccessBlock.
func parseAccountBlock(status int, body []byte) (*blockSettings, error) {
	const what = "s3:GetAccountPublicAccessBlock"
	if status == http.StatusOK {
		var b blockSettings
		if err := xml.Unmarshal(body, &b); err != nil {
			return nil, fmt.Errorf("%s: the answer is not a PublicAccessBlockConfiguration: %v", what, err)
		}
		return &b, nil
	}
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	xml.Unmarshal(body, &e)
	if e.Code == "" {
		// S3 Control wraps its errors in <ErrorResponse><Error>.
		var w struct {
			Error struct {
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Error"`
		}
		xml.Unmarshal(body, &w)
		e.Code, e.Message = w.Error.Code, w.Error.Message
	}
	switch e.Code {
	case "NoSuchPublicAccessBlockConfiguration":
		return &blockSettings{}, nil
	case "AccessDenied", "AccessDeniedException":
		return nil, fmt.Errorf("%s: access denied (the credentials lack the permission; use the SecurityAudit managed policy): %s", what, e.Message)
	}
	return nil, fmt.Errorf("%s: HTTP %d %s %s", what, status, e.Code, e.Message)
}

// bucketAdminRequests are the requests AWS FSBP S3.6 keeps from other
// accounts: those that change who may do what with the bucket or its
// encryption.
func bucketAdminRequests(bucket string) []policy.Request {
	var out []policy.Request
	for _, a := range []string{"s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration"} {
		out = append(out, policy.Request{Action: a, Resource: "arn:aws:s3:::" + bucket})
	}
	return append(out, policy.Request{Action: "s3:PutObjectAcl", Resource: "arn:aws:s3:::" + bucket + "/*"})
}

// tlsOnly says whether a bucket policy refuses every request made without
// TLS (aws:SecureTransport false): reads, writes, deletes and listing, by
// any principal. Only a Deny that applies to everyone and certainly holds
// for such a request counts (policy.DeniesEveryone).
func tlsOnly(d *policy.Document, bucket string) bool {
	insecure := policy.Context{"aws:SecureTransport": {"false"}}
	for _, r := range []policy.Request{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + bucket + "/any"},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket + "/any"},
		{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::" + bucket + "/any"},
		{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + bucket},
	} {
		r.Context = insecure
		if !policy.DeniesEveryone(d, r) {
			return false
		}
	}
	return true
}

// bucketRegion turns GetBucketLocation's answer into a region: none means
// us-east-1, and the legacy EU means eu-west-1.
func bucketRegion(loc s3types.BucketLocationConstraint) string {
	switch loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return string(loc)
}
