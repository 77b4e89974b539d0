package integrations

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/vigil-soc/vigil"
)

// AWS tests an AWS account with read-only credentials: the root account,
// IAM users (from the credential report, one call for every user), the
// password policy, S3 buckets, CloudTrail, security groups and EBS
// volumes, in each configured region. The secret is
// "ACCESS_KEY_ID:SECRET_ACCESS_KEY"; without one, the server's own AWS
// credentials (an instance role) are used.
type AWS struct{}

type awsConfig struct {
	Regions       []string `json:"regions"`
	Endpoint      string   `json:"endpoint"` // an AWS-compatible endpoint (tests, LocalStack)
	AdminPorts    []int32  `json:"admin_ports"`
	KeyMaxAgeDays int      `json:"key_max_age_days"`
	// RoleARN, when set, is assumed with the credentials (an audit role in
	// the account to test, reached from a central one).
	RoleARN    string `json:"role_arn"`
	ExternalID string `json:"external_id"`
}

// Name is the kind's name.
func (AWS) Name() string { return "aws" }

func parseAWS(raw json.RawMessage) (*awsConfig, error) {
	var c awsConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "aws settings: %v (fields: regions, endpoint, admin_ports, key_max_age_days, role_arn, external_id)", err)
	}
	if len(c.AdminPorts) == 0 {
		c.AdminPorts = []int32{22, 3389}
	}
	if c.KeyMaxAgeDays == 0 {
		c.KeyMaxAgeDays = 90
	}
	return &c, nil
}

// Validate checks the settings.
func (AWS) Validate(raw json.RawMessage, secretText string) error {
	c, err := parseAWS(raw)
	if err != nil {
		return err
	}
	for _, r := range c.Regions {
		if r == "" || strings.ContainsAny(r, " /") {
			return vigil.FieldError("config.regions", "%q is not a region name like eu-west-1", r)
		}
	}
	if secretText != "" && !strings.Contains(secretText, ":") {
		return vigil.FieldError("secret", "the secret is ACCESS_KEY_ID:SECRET_ACCESS_KEY (or empty to use the server's own AWS role)")
	}
	if c.RoleARN != "" && !strings.HasPrefix(c.RoleARN, "arn:aws") {
		return vigil.FieldError("config.role_arn", "role_arn is a role's ARN, e.g. arn:aws:iam::123456789012:role/vigil-audit")
	}
	if c.KeyMaxAgeDays < 1 || c.KeyMaxAgeDays > 3650 {
		return vigil.FieldError("config.key_max_age_days", "key_max_age_days must be 1 to 3650")
	}
	return nil
}

func (AWS) config(ctx context.Context, r *Run, c *awsConfig, region string) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region), awsconfig.WithRetryMaxAttempts(5)}
	if r.Secret != "" {
		id, key, _ := strings.Cut(r.Secret, ":")
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, key, "")))
	}
	if c.Endpoint != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(c.Endpoint))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil || c.RoleARN == "" {
		return cfg, err
	}
	p := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "vigil"
		if c.ExternalID != "" {
			o.ExternalID = aws.String(c.ExternalID)
		}
	})
	cfg.Credentials = aws.NewCredentialsCache(p)
	return cfg, nil
}

// describeAWS says which permission an access-denied error lacks.
func describeAWS(what string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			return what + ": access denied (the credentials lack the permission; use the SecurityAudit managed policy): " + ae.ErrorMessage()
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken":
			return what + ": the credentials are not valid or have expired (" + ae.ErrorCode() + ")"
		}
		return what + ": " + ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return what + ": " + err.Error()
}

// Test reads the account summary.
func (a AWS) Test(ctx context.Context, r *Run) error {
	c, err := parseAWS(r.Config)
	if err != nil {
		return err
	}
	home := "us-east-1"
	if len(c.Regions) > 0 {
		home = c.Regions[0]
	}
	cfg, err := a.config(ctx, r, c, home)
	if err != nil {
		return err
	}
	if _, err := iam.NewFromConfig(cfg).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		return errors.New(describeAWS("reading the IAM account summary", err))
	}
	return nil
}

// Collect reads the account; each part that fails is an error on its
// checks, the rest is judged.
func (a AWS) Collect(ctx context.Context, r *Run) (map[string]map[string]any, error) {
	c, err := parseAWS(r.Config)
	if err != nil {
		return nil, err
	}
	home := "us-east-1"
	if len(c.Regions) > 0 {
		home = c.Regions[0]
	}
	cfg, err := a.config(ctx, r, c, home)
	if err != nil {
		return nil, err
	}
	// Without a list, every region enabled in the account: a check "in
	// every region" must not pass on one.
	if len(c.Regions) == 0 {
		dr, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err != nil {
			return nil, errors.New(describeAWS("ec2:DescribeRegions (to find the account's regions; or list them in regions)", err))
		}
		for _, rg := range dr.Regions {
			c.Regions = append(c.Regions, aws.ToString(rg.RegionName))
		}
		sort.Strings(c.Regions)
	}
	iamIn := a.iam(ctx, cfg, c, r.Now)
	if rep, ok := iamIn["_credential_report"].([]byte); ok {
		delete(iamIn, "_credential_report")
		r.Artifacts = append(r.Artifacts, Artifact{Name: "iam-credential-report.csv", Title: "IAM credential report", Data: rep})
	}
	out := map[string]map[string]any{"aws.iam": iamIn, "aws.s3": a.s3(ctx, cfg, c)}
	trails := map[string]any{"regions": toAny(c.Regions)}
	ec2in := map[string]any{"groups": []any{}, "volumes": []any{}}
	kmsIn := map[string]any{"keys": []any{}}
	rdsIn := map[string]any{"instances": []any{}}
	gdIn := map[string]any{"regions": []any{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, region := range c.Regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := a.config(ctx, r, c, region)
			if err != nil {
				// The region's checks say so, rather than leaving it out.
				bad := map[string]any{"id": region, "error": "cannot configure region " + region + ": " + err.Error()}
				mu.Lock()
				ec2in["groups"] = append(ec2in["groups"].([]any), bad)
				gdIn["regions"] = append(gdIn["regions"].([]any), bad)
				mu.Unlock()
				return
			}
			groups, volumes := a.ec2(ctx, rc, c, region)
			keys := a.kms(ctx, rc, region)
			dbs := a.rds(ctx, rc, region)
			gd := a.guardduty(ctx, rc, region)
			mu.Lock()
			ec2in["groups"] = append(ec2in["groups"].([]any), groups...)
			ec2in["volumes"] = append(ec2in["volumes"].([]any), volumes...)
			kmsIn["keys"] = append(kmsIn["keys"].([]any), keys...)
			rdsIn["instances"] = append(rdsIn["instances"].([]any), dbs...)
			gdIn["regions"] = append(gdIn["regions"].([]any), gd)
			mu.Unlock()
		}()
	}
	wg.Wait()
	a.cloudtrail(ctx, cfg, trails)
	out["aws.cloudtrail"], out["aws.ec2"] = trails, ec2in
	out["aws.kms"], out["aws.rds"], out["aws.guardduty"] = kmsIn, rdsIn, gdIn
	return out, nil
}

// iam reads the credential report (every user's password, MFA and keys in
// one document, which is also the evidence an auditor asks for), the
// account summary and the password policy.
func (AWS) iam(ctx context.Context, cfg aws.Config, c *awsConfig, now time.Time) map[string]any {
	cl := iam.NewFromConfig(cfg)
	out := map[string]any{"users": []any{}}
	if sum, err := cl.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		out["summary_error"] = describeAWS("iam:GetAccountSummary", err)
	} else {
		out["root_mfa"] = sum.SummaryMap["AccountMFAEnabled"] == 1
		out["root_keys"] = sum.SummaryMap["AccountAccessKeysPresent"] > 0
	}
	if p, err := cl.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}); err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			out["password_policy"] = map[string]any{"present": false}
		} else {
			out["password_policy_error"] = describeAWS("iam:GetAccountPasswordPolicy", err)
		}
	} else {
		pp := p.PasswordPolicy
		out["password_policy"] = map[string]any{"present": true, "min_length": int(aws.ToInt32(pp.MinimumPasswordLength)),
			"symbols": pp.RequireSymbols, "numbers": pp.RequireNumbers, "uppercase": pp.RequireUppercaseCharacters,
			"lowercase": pp.RequireLowercaseCharacters, "reuse_prevention": int(aws.ToInt32(pp.PasswordReusePrevention)),
			"max_age": int(aws.ToInt32(pp.MaxPasswordAge))}
	}
	var report []byte
	for i := 0; i < 20; i++ {
		g, err := cl.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			out["users_error"] = describeAWS("iam:GenerateCredentialReport", err)
			return out
		}
		if g.State == iamtypes.ReportStateTypeComplete {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	rep, err := cl.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		out["users_error"] = describeAWS("iam:GetCredentialReport", err)
		return out
	}
	report = rep.Content
	rows, err := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil || len(rows) < 1 {
		out["users_error"] = fmt.Sprintf("the credential report is not CSV: %v", err)
		return out
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return row[i]
		}
		return ""
	}
	days := func(s string) any {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil // N/A, not_supported, no_information
		}
		return int(now.Sub(t).Hours() / 24)
	}
	var users []any
	for _, row := range rows[1:] {
		name := get(row, "user")
		if name == "<root_account>" {
			continue // judged from the account summary
		}
		u := map[string]any{"id": name, "console": get(row, "password_enabled") == "true", "mfa": get(row, "mfa_active") == "true", "keys": []any{}}
		var keys []any
		for _, k := range []string{"1", "2"} {
			if get(row, "access_key_"+k+"_active") != "true" {
				continue
			}
			keys = append(keys, map[string]any{"id": name + " key " + k, "age_days": days(get(row, "access_key_"+k+"_last_rotated")),
				"unused_days": days(get(row, "access_key_"+k+"_last_used_date"))})
		}
		u["keys"] = nonNil(keys)
		users = append(users, u)
	}
	out["users"], out["credential_report_bytes"] = nonNil(users), len(report)
	out["_credential_report"] = report
	out["key_max_age_days"] = c.KeyMaxAgeDays
	return out
}

// s3 reads every bucket's encryption, public access block and versioning,
// sixteen buckets at a time.
func (AWS) s3(ctx context.Context, cfg aws.Config, c *awsConfig) map[string]any {
	cl := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = c.Endpoint != "" })
	out := map[string]any{"buckets": []any{}}
	lb, err := cl.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		out["error"] = describeAWS("s3:ListAllMyBuckets", err)
		return out
	}
	buckets := make([]any, len(lb.Buckets))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, b := range lb.Buckets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := aws.ToString(b.Name)
			// Each aspect carries its own error, so a refused call
			// leaves the other aspects judged.
			m := map[string]any{"id": name, "encryption": false, "public_block": false, "versioning": ""}
			if _, err := cl.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &name}); err == nil {
				m["encryption"] = true
			} else if !apiCode(err, "ServerSideEncryptionConfigurationNotFoundError") {
				m["encryption_error"] = describeAWS("s3:GetEncryptionConfiguration on "+name, err)
			}
			if pab, err := cl.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &name}); err == nil {
				p := pab.PublicAccessBlockConfiguration
				m["public_block"] = aws.ToBool(p.BlockPublicAcls) && aws.ToBool(p.BlockPublicPolicy) && aws.ToBool(p.IgnorePublicAcls) && aws.ToBool(p.RestrictPublicBuckets)
			} else if !apiCode(err, "NoSuchPublicAccessBlockConfiguration") {
				m["public_block_error"] = describeAWS("s3:GetBucketPublicAccessBlock on "+name, err)
			}
			// Status is "Enabled", "Suspended", or empty when versioning
			// was never turned on.
			if v, err := cl.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &name}); err == nil {
				m["versioning"] = string(v.Status)
			} else {
				m["versioning_error"] = describeAWS("s3:GetBucketVersioning on "+name, err)
			}
			buckets[i] = m
		}()
	}
	wg.Wait()
	sort.Slice(buckets, func(i, j int) bool {
		return buckets[i].(map[string]any)["id"].(string) < buckets[j].(map[string]any)["id"].(string)
	})
	out["buckets"] = buckets
	return out
}

func apiCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// cloudtrail: is some trail multi-region, logging, with file validation?
func (AWS) cloudtrail(ctx context.Context, cfg aws.Config, out map[string]any) {
	cl := cloudtrail.NewFromConfig(cfg)
	d, err := cl.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	if err != nil {
		out["error"] = describeAWS("cloudtrail:DescribeTrails", err)
		return
	}
	var trails []any
	good := false
	for _, t := range d.TrailList {
		st, err := cl.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: t.TrailARN})
		logging := err == nil && aws.ToBool(st.IsLogging)
		multi, valid := aws.ToBool(t.IsMultiRegionTrail), aws.ToBool(t.LogFileValidationEnabled)
		trails = append(trails, map[string]any{"id": aws.ToString(t.Name), "multi_region": multi, "logging": logging, "validation": valid})
		good = good || (multi && logging && valid)
	}
	out["trails"], out["compliant_trail"] = nonNil(trails), good
}

// ec2: security groups open to the world on admin ports, and unencrypted
// EBS volumes, in one region.
func (AWS) ec2(ctx context.Context, cfg aws.Config, c *awsConfig, region string) ([]any, []any) {
	cl := ec2.NewFromConfig(cfg)
	var groups, volumes []any
	sgs, err := cl.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		groups = append(groups, map[string]any{"id": region, "error": describeAWS("ec2:DescribeSecurityGroups in "+region, err)})
	} else {
		for _, g := range sgs.SecurityGroups {
			var open []any
			for _, p := range g.IpPermissions {
				if !worldOpen(p) {
					continue
				}
				for _, port := range c.AdminPorts {
					all := aws.ToString(p.IpProtocol) == "-1"
					if all || (aws.ToInt32(p.FromPort) <= port && port <= aws.ToInt32(p.ToPort)) {
						open = append(open, strconv.Itoa(int(port)))
					}
				}
			}
			groups = append(groups, map[string]any{"id": region + "/" + aws.ToString(g.GroupId) + " " + aws.ToString(g.GroupName), "open_admin": nonNil(open)})
		}
	}
	vs, err := cl.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err != nil {
		volumes = append(volumes, map[string]any{"id": region, "error": describeAWS("ec2:DescribeVolumes in "+region, err)})
	} else {
		for _, v := range vs.Volumes {
			volumes = append(volumes, map[string]any{"id": region + "/" + aws.ToString(v.VolumeId), "encrypted": aws.ToBool(v.Encrypted)})
		}
	}
	return groups, volumes
}

func worldOpen(p ec2types.IpPermission) bool {
	for _, r := range p.IpRanges {
		if aws.ToString(r.CidrIp) == "0.0.0.0/0" {
			return true
		}
	}
	for _, r := range p.Ipv6Ranges {
		if aws.ToString(r.CidrIpv6) == "::/0" {
			return true
		}
	}
	return false
}

// kms: customer-managed symmetric keys and whether they rotate.
func (AWS) kms(ctx context.Context, cfg aws.Config, region string) []any {
	cl := kms.NewFromConfig(cfg)
	var out []any
	p := kms.NewListKeysPaginator(cl, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return append(out, map[string]any{"id": region, "error": describeAWS("kms:ListKeys in "+region, err)})
		}
		for _, k := range page.Keys {
			d, err := cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
			if err != nil {
				out = append(out, map[string]any{"id": region + "/" + aws.ToString(k.KeyId), "error": describeAWS("kms:DescribeKey", err)})
				continue
			}
			md := d.KeyMetadata
			// AWS-managed keys rotate by themselves; asymmetric keys cannot.
			if md.KeyManager != kmstypes.KeyManagerTypeCustomer || md.KeySpec != kmstypes.KeySpecSymmetricDefault || md.KeyState != kmstypes.KeyStateEnabled {
				continue
			}
			m := map[string]any{"id": region + "/" + aws.ToString(k.KeyId), "rotation": false}
			if rs, err := cl.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: k.KeyId}); err != nil {
				m["error"] = describeAWS("kms:GetKeyRotationStatus", err)
			} else {
				m["rotation"] = rs.KeyRotationEnabled
			}
			out = append(out, m)
		}
	}
	return out
}

// rds: database instances and whether their storage is encrypted.
func (AWS) rds(ctx context.Context, cfg aws.Config, region string) []any {
	cl := rds.NewFromConfig(cfg)
	var out []any
	p := rds.NewDescribeDBInstancesPaginator(cl, &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return append(out, map[string]any{"id": region, "error": describeAWS("rds:DescribeDBInstances in "+region, err)})
		}
		for _, d := range page.DBInstances {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(d.DBInstanceIdentifier), "encrypted": aws.ToBool(d.StorageEncrypted),
				"public": aws.ToBool(d.PubliclyAccessible)})
		}
	}
	return out
}

// guardduty: is a detector enabled in the region?
func (AWS) guardduty(ctx context.Context, cfg aws.Config, region string) map[string]any {
	cl := guardduty.NewFromConfig(cfg)
	out := map[string]any{"id": region, "enabled": false}
	ds, err := cl.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		out["error"] = describeAWS("guardduty:ListDetectors in "+region, err)
		return out
	}
	for _, id := range ds.DetectorIds {
		d, err := cl.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
		if err != nil {
			out["error"] = describeAWS("guardduty:GetDetector in "+region, err)
			return out
		}
		if d.Status == gdtypes.DetectorStatusEnabled {
			out["enabled"] = true
		}
	}
	return out
}
