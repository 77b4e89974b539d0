// Package aws is the aws integration kind: an AWS account read with
// read-only credentials in every region, service by service (IAM with
// every policy a principal holds, S3, CloudTrail and CloudWatch, EC2 and
// VPC, KMS, RDS, Lambda, Secrets Manager, SNS, SQS, load balancers, ACM,
// CloudFront, EKS, ECR, data stores, CodeBuild, Step Functions, SageMaker
// notebooks, WAF web ACLs, Route 53 hosted zones, and the account's
// detectors), for the checks in checks/integrations/aws-*.yaml. Policies
// are judged by package policy; docs/checks.md ("AWS") says how.
package aws

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// AWS tests an AWS account with read-only credentials: the root account,
// IAM users (from the credential report, one call for every user), the
// password policy, S3 buckets (in their own regions), and, in each
// configured region, CloudTrail, security groups, EBS, KMS, RDS and
// GuardDuty. The secret is "ACCESS_KEY_ID:SECRET_ACCESS_KEY"; without one,
// the server's own AWS credentials (an instance role) are used.
//
// Verdicts never depend on the order of the regions setting: the list is
// sorted and deduplicated, every region is read the same way, and every
// list handed to the checks is sorted by id (so an unchanged account also
// gives an unchanged input, and its runs are heartbeats).
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

	// account is the account's id, read at the start of a collection
	// (accountErr says why it could not be).
	account, accountErr string
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
	// Sorted and once each: the first region is where global services
	// (IAM, S3's bucket list, STS) are called, and nothing may depend on
	// the order the regions were typed in.
	c.Regions = slices.Compact(slices.Sorted(slices.Values(c.Regions)))
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

func (AWS) config(ctx context.Context, r *kind.Run, c *awsConfig, region string) (aws.Config, error) {
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

// inRegion is the account's configuration pointed at another region; the
// credentials (and an assumed role's session) are shared.
func inRegion(cfg aws.Config, region string) aws.Config {
	rc := cfg.Copy()
	rc.Region = region
	return rc
}

// describeAWS says which permission an access-denied error lacks.
func describeAWS(what string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError":
			return what + ": access denied (the credentials lack the permission; use the SecurityAudit managed policy): " + ae.ErrorMessage()
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "UnrecognizedClientException":
			return what + ": the credentials are not valid or have expired (" + ae.ErrorCode() + ")"
		}
		return what + ": " + ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return what + ": " + err.Error()
}

func apiCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// awsError is the resource a read that failed leaves in a list, so the
// checks of that list say what could not be read instead of judging less.
func awsError(id, msg string) map[string]any {
	return map[string]any{"id": id, "error": msg}
}

// sortByID sorts resources (maps with an "id") by id; a stable order
// keeps an unchanged account's input unchanged.
func sortByID(xs []any) []any {
	sort.SliceStable(xs, func(i, j int) bool {
		return xs[i].(map[string]any)["id"].(string) < xs[j].(map[string]any)["id"].(string)
	})
	return kind.NonNil(xs)
}

// Test reads the account summary.
func (a AWS) Test(ctx context.Context, r *kind.Run) error {
	c, err := parseAWS(r.Config)
	if err != nil {
		return err
	}
	cfg, err := a.config(ctx, r, c, homeRegion(c))
	if err != nil {
		return err
	}
	if _, err := iam.NewFromConfig(cfg).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		return errors.New(describeAWS("reading the IAM account summary", err))
	}
	return nil
}

// homeRegion is where global services are called: the first region of the
// sorted list.
func homeRegion(c *awsConfig) string {
	if len(c.Regions) > 0 {
		return c.Regions[0]
	}
	return "us-east-1"
}

// awsRegional is one aspect read in every region: read returns the
// resources it found in one region (ids start with the region) for one
// list of one collector. A failed read returns an awsError resource (with
// whatever it read before), never less. To judge a new per-region aspect
// (a CIS control), add its read here and a check over the list.
type awsRegional struct {
	collector, list string
	read            func(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any
}

var awsRegionalReads = []awsRegional{
	{"aws.ec2", "groups", awsSecurityGroups},
	{"aws.ec2", "volumes", awsVolumes},
	{"aws.ec2", "ebs_default", awsEBSDefault},
	{"aws.kms", "keys", awsKMSKeys},
	{"aws.rds", "instances", awsRDSInstances},
	{"aws.guardduty", "regions", awsGuardDuty},
	{"aws.ec2", "instances", awsInstances},
	{"aws.ec2", "nacls", awsNACLs},
	{"aws.ec2", "vpcs", awsVPCFlowLogs},
	{"aws.ec2", "snapshots", awsSnapshots},
	{"aws.config", "regions", awsConfigRecorder},
	{"aws.securityhub", "regions", awsSecurityHub},
	{"aws.sns", "topics", awsSNSTopics},
	{"aws.sqs", "queues", awsSQSQueues},
	{"aws.kms", "policies", awsKMSPolicies},
	{"aws.lambda", "functions", awsLambdaFunctions},
	{"aws.secretsmanager", "secrets", awsSecrets},
	{"aws.efs", "filesystems", awsEFS},
	{"aws.elb", "load_balancers", awsLoadBalancers},
	{"aws.acm", "certificates", awsCertificates},
	{"aws.rds", "snapshots", awsDBSnapshots},
	{"aws.accessanalyzer", "regions", awsAccessAnalyzer},
	{"aws.dynamodb", "tables", awsDynamoDB},
	{"aws.elb", "load_balancers", awsClassicLoadBalancers},
	{"aws.rds", "snapshots", awsDBClusterSnapshots},
	{"aws.ecr", "repositories", awsECR},
	{"aws.redshift", "clusters", awsRedshift},
	{"aws.elasticache", "groups", awsElastiCache},
	{"aws.opensearch", "domains", awsOpenSearch},
	{"aws.eks", "clusters", awsEKS},
	{"aws.ec2", "addresses", awsElasticIPs},
	{"aws.apigateway", "stages", awsAPIStages},
	{"aws.ecs", "task_definitions", awsECSTaskDefinitions},
	{"aws.kinesis", "streams", awsKinesis},
	{"aws.ec2", "images", awsAMIs},
	{"aws.ec2", "subnets", awsSubnets},
	{"aws.ec2", "launch_templates", awsLaunchTemplates},
	{"aws.autoscaling", "launch_configurations", awsLaunchConfigurations},
	{"aws.rds", "clusters", awsDBClusters},
	{"aws.codebuild", "projects", awsCodeBuild},
	{"aws.stepfunctions", "state_machines", awsStepFunctions},
	{"aws.sagemaker", "notebooks", awsSageMakerNotebooks},
	{"aws.waf", "web_acls", awsWebACLs},
}

// awsParallel bounds the concurrent API calls of one collection (regions ×
// aspects, trails, buckets): AWS's retryer absorbs throttling, but there is
// no point in provoking it.
const awsParallel = 16

// Collect reads the account; each part that fails is an error on its
// checks, the rest is judged.
func (a AWS) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parseAWS(r.Config)
	if err != nil {
		return nil, err
	}
	cfg, err := a.config(ctx, r, c, homeRegion(c))
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
		c.Regions = slices.Compact(slices.Sorted(slices.Values(c.Regions)))
	}
	// The account's id tells its own resources and principals from other
	// accounts'; without it, what needs it is an error.
	if id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		c.accountErr = describeAWS("sts:GetCallerIdentity (the account's id, to tell other accounts apart)", err)
	} else {
		c.account = aws.ToString(id.Account)
	}
	out := map[string]map[string]any{}
	var iamIn, s3In, trailIn map[string]any
	var wg sync.WaitGroup
	wg.Go(func() {
		defer guard(func(msg string) {
			iamIn = map[string]any{"users_error": msg, "summary_error": msg, "password_policy_error": msg, "users": []any{}}
		})
		iamIn = a.iam(ctx, cfg, c, r.Now)
	})
	var authIn map[string]any
	wg.Go(func() {
		defer guard(func(msg string) {
			authIn = map[string]any{"principals_error": msg, "principals": []any{}, "policies": []any{}, "roles": []any{}, "inline_policies": []any{}}
		})
		if c.account == "" {
			authIn = map[string]any{"principals_error": c.accountErr, "principals": []any{}, "policies": []any{}, "roles": []any{}, "inline_policies": []any{}}
			return
		}
		authIn = iamPrincipals(ctx, iam.NewFromConfig(cfg), c.account, c.Regions)
	})
	wg.Go(func() {
		defer guard(func(msg string) { s3In = map[string]any{"error": msg, "buckets": []any{}} })
		s3In = awsS3(ctx, cfg, c)
	})
	var distributions []any
	wg.Go(func() { // global: called once
		defer guard(func(msg string) { distributions = []any{awsError("cloudfront", msg)} })
		distributions = awsCloudFront(ctx, cfg)
	})
	var zones []any
	wg.Go(func() { // global: called once
		defer guard(func(msg string) { zones = []any{awsError("route53", msg)} })
		zones = awsRoute53(ctx, cfg)
	})
	wg.Go(func() {
		defer guard(func(msg string) {
			trailIn = map[string]any{"trails": []any{awsError("cloudtrail", msg)}, "regions": []any{awsError("cloudtrail", msg)}, "log_groups": []any{}, "log_groups_unknown": msg}
		})
		trailIn = awsCloudTrail(ctx, cfg, c.account, c.Regions)
	})
	var mu sync.Mutex
	sem := make(chan struct{}, awsParallel)
	// Every collector of the regional table starts with each of its lists
	// empty, so a region with nothing in it still gives a (judged) list.
	for _, part := range awsRegionalReads {
		if out[part.collector] == nil {
			out[part.collector] = map[string]any{}
		}
		out[part.collector][part.list] = []any{}
	}
	for _, part := range awsRegionalReads {
		for _, region := range c.Regions {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				var found []any
				func() {
					defer guard(func(msg string) { found = []any{awsError(region, msg)} })
					found = part.read(ctx, inRegion(cfg, region), c, region)
				}()
				mu.Lock()
				out[part.collector][part.list] = append(out[part.collector][part.list].([]any), found...)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for _, in := range out {
		for k, v := range in {
			in[k] = sortByID(v.([]any))
		}
	}
	if rep, ok := iamIn["_credential_report"].([]byte); ok {
		delete(iamIn, "_credential_report")
		r.Artifacts = append(r.Artifacts, kind.Artifact{Name: "iam-credential-report.csv", Title: "IAM credential report", Data: rep})
	}
	for k, v := range authIn {
		iamIn[k] = v
	}
	trailBucketsLogging(ctx, cfg, trailIn, s3In)
	out["aws.iam"], out["aws.s3"], out["aws.cloudtrail"] = iamIn, s3In, trailIn
	out["aws.cloudfront"] = map[string]any{"distributions": sortByID(distributions)}
	out["aws.route53"] = map[string]any{"hosted_zones": sortByID(zones)}
	out["aws.cloudtrail"]["regions_read"] = kind.ToAny(c.Regions)
	return out, nil
}

// credentialReportColumns are the credential report's columns the checks
// need: a report without one of them cannot say a user is compliant.
var credentialReportColumns = []string{"user", "user_creation_time", "password_enabled", "password_last_used", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date"}

// iam reads the credential report (every user's password, MFA and keys in
// one document, which is also the evidence an auditor asks for), the
// account summary and the password policy.
func (AWS) iam(ctx context.Context, cfg aws.Config, c *awsConfig, now time.Time) map[string]any {
	cl := iam.NewFromConfig(cfg)
	out := map[string]any{"users": []any{}, "key_max_age_days": c.KeyMaxAgeDays}
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
	out["server_certificates"], out["server_certificates_error"] = serverCertificates(ctx, cl, now)
	if out["server_certificates_error"] == "" {
		delete(out, "server_certificates_error")
	}
	if v, err := rootVirtualMFA(ctx, cl); err != nil {
		out["mfa_devices_error"] = describeAWS("iam:ListVirtualMFADevices", err)
	} else {
		out["root_virtual_mfa"] = v
	}
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
	users, root, err := parseCredentialReport(rep.Content, now)
	if err != nil {
		out["users_error"] = err.Error()
		return out
	}
	out["root_use"] = root
	out["users"], out["credential_report_bytes"] = users, len(rep.Content)
	out["_credential_report"] = rep.Content
	return out
}

// parseCredentialReport gives one resource per IAM user (the root account
// is judged from the account summary): {id, console, mfa, keys: [{id:
// "USER key N", active, age_days, unused_days}]}, sorted by user. Both key
// slots are listed, inactive ones with active: false, so a check shows
// them rather than skipping them.
func parseCredentialReport(report []byte, now time.Time) (users []any, root map[string]any, err error) {
	rows, err := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("the credential report is not CSV: %v", err)
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("the credential report is empty (not even a header)")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, name := range credentialReportColumns {
		if _, ok := col[name]; !ok {
			return nil, nil, fmt.Errorf("the credential report has no %s column: its users cannot be judged", name)
		}
	}
	// root is the root account's last use; absent from the report, it is
	// unknown (an error for the check), not "never used".
	root = map[string]any{"id": "root", "error": "the credential report has no <root_account> line"}
	for n, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			return nil, nil, fmt.Errorf("the credential report's line %d has %d fields, not %d", n+2, len(row), len(rows[0]))
		}
		get := func(name string) string { return row[col[name]] }
		name := get("user")
		if name == "<root_account>" {
			// Other checks judge the root account from the account
			// summary; its use is read here: the most recent of its
			// password and keys, nil when never used.
			root = map[string]any{"id": "root", "last_used_days": nil}
			for _, c := range []string{"password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date"} {
				if d := reportDays(get(c), now); d != nil && (root["last_used_days"] == nil || d.(int) < root["last_used_days"].(int)) {
					root["last_used_days"] = d
				}
			}
			continue
		}
		u := map[string]any{"id": name, "console": get("password_enabled") == "true", "mfa": get("mfa_active") == "true"}
		// How long the password has gone unused: since its last use, or,
		// never used, since the user was created.
		if u["console"] == true {
			idle := reportDays(get("password_last_used"), now)
			if idle == nil {
				idle = reportDays(get("user_creation_time"), now)
			}
			if idle == nil {
				u["error"] = fmt.Sprintf("the credential report gives neither a last use nor a creation date for %s", name)
			}
			u["password_idle_days"] = idle
		}
		keys := []any{}
		for _, k := range []string{"1", "2"} {
			key := map[string]any{"id": name + " key " + k, "active": get("access_key_"+k+"_active") == "true"}
			rotated := get("access_key_" + k + "_last_rotated")
			if key["active"] == false && rotated == "N/A" {
				continue // the slot holds no key at all
			}
			key["age_days"], key["unused_days"] = reportDays(rotated, now), reportDays(get("access_key_"+k+"_last_used_date"), now)
			// Idle: since the key's last use, or, never used, since it
			// was made.
			key["idle_days"] = key["unused_days"]
			if key["idle_days"] == nil {
				key["idle_days"] = key["age_days"]
			}
			// An active key always has a creation date; without one its
			// age is unknown, which must not read as young.
			if key["active"] == true && key["age_days"] == nil {
				key["error"] = fmt.Sprintf("the credential report gives no creation date for %s's key %s (%q)", name, k, rotated)
			}
			keys = append(keys, key)
		}
		u["keys"] = keys
		users = append(users, u)
	}
	return sortByID(users), root, nil
}

// reportDays is the number of days since a credential report date, or nil
// when there is none (N/A, no_information: never used, or used before
// AWS kept track).
func reportDays(s string, now time.Time) any {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return int(now.Sub(t).Hours() / 24)
}

// serverCertificates lists the certificates IAM stores for load balancers
// and CloudFront (ACM's are judged apart): {id: NAME, expires_days}
// (negative once expired).
func serverCertificates(ctx context.Context, cl *iam.Client, now time.Time) ([]any, string) {
	out := []any{}
	err := awsPages("iam:ListServerCertificates", func(tok *string) (*string, error) {
		page, err := cl.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, c := range page.ServerCertificateMetadataList {
			out = append(out, serverCertificate(ctx, cl, aws.ToString(c.ServerCertificateName), now))
		}
		if !page.IsTruncated {
			return nil, nil
		}
		return page.Marker, nil
	})
	if err != nil {
		return out, describeAWS("iam:ListServerCertificates", err)
	}
	return sortByID(out), ""
}

// serverCertificate judges one certificate by its own NotAfter (the
// certificate is the truth; the listing's Expiration is derived from it,
// and moto makes one up).
func serverCertificate(ctx context.Context, cl *iam.Client, name string, now time.Time) map[string]any {
	m := map[string]any{"id": name}
	c, err := cl.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: &name})
	if err != nil {
		m["error"] = describeAWS("iam:GetServerCertificate "+name, err)
		return m
	}
	block, _ := pem.Decode([]byte(aws.ToString(c.ServerCertificate.CertificateBody)))
	if block == nil {
		m["error"] = "the certificate " + name + " is not PEM"
		return m
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		m["error"] = "the certificate " + name + " cannot be read: " + err.Error()
		return m
	}
	m["expires_days"] = int(math.Floor(cert.NotAfter.Sub(now).Hours() / 24))
	return m
}

// rootVirtualMFA says whether the root account's MFA is a virtual device:
// AWS names the root's virtual device by the account's root ARN as its
// user.
func rootVirtualMFA(ctx context.Context, cl *iam.Client) (bool, error) {
	virtual := false
	err := awsPages("iam:ListVirtualMFADevices", func(tok *string) (*string, error) {
		page, err := cl.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAssigned, Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, d := range page.VirtualMFADevices {
			if (d.User != nil && strings.HasSuffix(aws.ToString(d.User.Arn), ":root")) || strings.HasSuffix(aws.ToString(d.SerialNumber), "/root-account-mfa-device") {
				virtual = true
			}
		}
		if !page.IsTruncated {
			return nil, nil
		}
		return page.Marker, nil
	})
	return virtual, err
}

// guard turns a panic in one part of a collection into an error for that
// part's checks (onPanic sets it): a bug in reading one service must not
// take the server down, nor leave the checks of that part passing on
// nothing.
func guard(onPanic func(msg string)) {
	if p := recover(); p != nil {
		onPanic(fmt.Sprintf("internal error while reading this part of the account (please report it): %v", p))
	}
}
