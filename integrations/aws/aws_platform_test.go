package aws

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
)

// platformZones are the hosted zone ids seedPlatform got from moto.
type platformZones struct{ logged, unlogged, private string }

// seedPlatform plants, for each check, a violation and a compliant
// look-alike. Every setting a verdict depends on is planted explicitly:
// moto leaves a CodeBuild project's logsConfig and a notebook's RootAccess
// out when they are not given (AWS answers its defaults), and the
// collector turns a missing one into an error, not a verdict.
func seedPlatform(zones *platformZones) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		cb := codebuild.NewFromConfig(cfg)
		env := func(vars ...cbtypes.EnvironmentVariable) *cbtypes.ProjectEnvironment {
			return &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, ComputeType: cbtypes.ComputeTypeBuildGeneral1Small,
				Image: aws.String("aws/codebuild/standard:7.0"), EnvironmentVariables: vars}
		}
		logs := func(cw, s3 cbtypes.LogsConfigStatusType) *cbtypes.LogsConfig {
			l := &cbtypes.LogsConfig{CloudWatchLogs: &cbtypes.CloudWatchLogsConfig{Status: cw}, S3Logs: &cbtypes.S3LogsConfig{Status: s3}}
			if s3 == cbtypes.LogsConfigStatusTypeEnabled {
				l.S3Logs.Location = aws.String("acme-build-logs/api")
			}
			return l
		}
		project := func(name string, src cbtypes.ProjectSource, e *cbtypes.ProjectEnvironment, l *cbtypes.LogsConfig) {
			must(cb.CreateProject(ctx, &codebuild.CreateProjectInput{Name: aws.String(name), Source: &src, Environment: e, LogsConfig: l,
				Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts}, ServiceRole: aws.String("arn:aws:iam::123456789012:role/codebuild")}))
		}
		// A token in the URL, both key variables in plain text (the second
		// with no type: PLAINTEXT is AWS's default), no logs.
		project("careless", cbtypes.ProjectSource{Type: cbtypes.SourceTypeBitbucket, Location: aws.String("https://deploy:s3cr3t-token@bitbucket.org/acme/api.git")},
			env(cbtypes.EnvironmentVariable{Name: aws.String("AWS_ACCESS_KEY_ID"), Value: aws.String("AKIAEXAMPLE"), Type: cbtypes.EnvironmentVariableTypePlaintext},
				cbtypes.EnvironmentVariable{Name: aws.String("AWS_SECRET_ACCESS_KEY"), Value: aws.String("s3cr3t-key")}),
			logs(cbtypes.LogsConfigStatusTypeDisabled, cbtypes.LogsConfigStatusTypeDisabled))
		// The same variable names kept in Parameter Store and Secrets
		// Manager, a harmless plain-text AWS_REGION, logs to S3 only.
		project("careful", cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithub, Location: aws.String("https://github.com/acme/api.git")},
			env(cbtypes.EnvironmentVariable{Name: aws.String("AWS_ACCESS_KEY_ID"), Value: aws.String("/ci/key-id"), Type: cbtypes.EnvironmentVariableTypeParameterStore},
				cbtypes.EnvironmentVariable{Name: aws.String("AWS_SECRET_ACCESS_KEY"), Value: aws.String("ci/key:secret"), Type: cbtypes.EnvironmentVariableTypeSecretsManager},
				cbtypes.EnvironmentVariable{Name: aws.String("AWS_REGION"), Value: aws.String("us-east-1"), Type: cbtypes.EnvironmentVariableTypePlaintext}),
			logs(cbtypes.LogsConfigStatusTypeDisabled, cbtypes.LogsConfigStatusTypeEnabled))
		// An S3 source has no repository URL to judge.
		project("from-s3", cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("acme-builds/api.zip")},
			env(), logs(cbtypes.LogsConfigStatusTypeEnabled, cbtypes.LogsConfigStatusTypeDisabled))

		// A log group named but the level OFF logs nothing.
		sf := sfn.NewFromConfig(cfg)
		group := "arn:aws:logs:us-east-1:123456789012:log-group:/aws/states/orders:*"
		for name, level := range map[string]sfntypes.LogLevel{"careful": sfntypes.LogLevelError, "careless": sfntypes.LogLevelOff} {
			must(sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::123456789012:role/states"),
				Definition: aws.String(`{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`),
				LoggingConfiguration: &sfntypes.LoggingConfiguration{Level: level,
					Destinations: []sfntypes.LogDestination{{CloudWatchLogsLogGroup: &sfntypes.CloudWatchLogsLogGroup{LogGroupArn: aws.String(group)}}}}}))
		}

		// vpc-open is in a VPC yet has direct internet access: being in a
		// VPC does not take the notebook off the internet.
		sm := sagemaker.NewFromConfig(cfg)
		for name, n := range map[string]struct {
			subnet       string
			direct, root bool
		}{"careful": {"subnet-0abc", false, false}, "careless": {"", true, true}, "vpc-open": {"subnet-0abc", true, false}} {
			in := &sagemaker.CreateNotebookInstanceInput{NotebookInstanceName: aws.String(name), InstanceType: smtypes.InstanceTypeMlT3Medium,
				RoleArn: aws.String("arn:aws:iam::123456789012:role/sagemaker"), DirectInternetAccess: smtypes.DirectInternetAccessDisabled, RootAccess: smtypes.RootAccessDisabled}
			if n.subnet != "" {
				in.SubnetId, in.SecurityGroupIds = aws.String(n.subnet), []string{"sg-0abc"}
			}
			if n.direct {
				in.DirectInternetAccess = smtypes.DirectInternetAccessEnabled
			}
			if n.root {
				in.RootAccess = smtypes.RootAccessEnabled
			}
			must(sm.CreateNotebookInstance(ctx, in))
		}

		// Regional ACLs named api in two regions, only us-east-1's logged:
		// logging is per ACL, not per name. A CloudFront-scope ACL, logged.
		acl := func(region string, scope waftypes.Scope, name string, logged bool) {
			w := wafv2.NewFromConfig(cfg, func(o *wafv2.Options) { o.Region = region })
			out, err := w.CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: aws.String(name), Scope: scope,
				DefaultAction:    &waftypes.DefaultAction{Allow: &waftypes.AllowAction{}},
				VisibilityConfig: &waftypes.VisibilityConfig{CloudWatchMetricsEnabled: true, MetricName: aws.String(name), SampledRequestsEnabled: true}})
			must(out, err)
			if logged {
				must(w.PutLoggingConfiguration(ctx, &wafv2.PutLoggingConfigurationInput{LoggingConfiguration: &waftypes.LoggingConfiguration{
					ResourceArn: out.Summary.ARN, LogDestinationConfigs: []string{"arn:aws:logs:" + region + ":123456789012:log-group:aws-waf-logs-" + name}}}))
			}
		}
		acl("us-east-1", waftypes.ScopeRegional, "api", true)
		acl("eu-west-1", waftypes.ScopeRegional, "api", false)
		acl("us-east-1", waftypes.ScopeCloudfront, "edge", true)

		// Query logs go to a log group in us-east-1. A private zone with
		// the logged zone's name is not applicable; example.org is not
		// logged.
		cwl := cloudwatchlogs.NewFromConfig(cfg)
		must(cwl.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/route53/example.com")}))
		r53 := route53.NewFromConfig(cfg)
		zone := func(name string, private bool) string {
			in := &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(name + "-" + map[bool]string{true: "private", false: "public"}[private])}
			if private {
				in.HostedZoneConfig = &r53types.HostedZoneConfig{PrivateZone: true}
				in.VPC = &r53types.VPC{VPCId: aws.String("vpc-0abc"), VPCRegion: r53types.VPCRegionUsEast1}
			}
			out, err := r53.CreateHostedZone(ctx, in)
			must(out, err)
			return zoneID(aws.ToString(out.HostedZone.Id))
		}
		zones.logged, zones.unlogged, zones.private = zone("example.com", false), zone("example.org", false), zone("example.com", true)
		must(r53.CreateQueryLoggingConfig(ctx, &route53.CreateQueryLoggingConfigInput{HostedZoneId: aws.String(zones.logged),
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/example.com:*")}))
	}
}

func TestAWSPlatform(t *testing.T) {
	var zones platformZones
	var endpoint string
	got, why := motoAccount(t, []string{"eu-west-1", "us-east-1"}, seedPlatform(&zones), func(e string) { endpoint = e })
	want := wantPlatform(zones)
	expect(t, got, why, want)
	if r := why["aws.route53-query-logging example.com ("+zones.private+")"]; r != "private zone" {
		t.Errorf("the private zone's reason is %q, want \"private zone\"", r)
	}
	// The evidence shows where credentials are, never the credentials.
	r := why["aws.codebuild-source-no-credentials us-east-1/careless"]
	if !strings.Contains(r, "https://***@bitbucket.org/acme/api.git") || strings.Contains(r, "s3cr3t") || strings.Contains(r, "deploy") {
		t.Errorf("the source URL is not masked: %q", r)
	}
	if r := why["aws.codebuild-env-no-plaintext-credentials us-east-1/careless"]; !strings.Contains(r, "AWS_ACCESS_KEY_ID") || !strings.Contains(r, "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("both plain-text keys should be named: %q", r)
	}
	for k, v := range got {
		if strings.HasPrefix(k, "aws.waf-logging ") && k != "aws.waf-logging us-east-1/api" && k != "aws.waf-logging eu-west-1/api" && k != "aws.waf-logging cloudfront/edge" {
			t.Errorf("unexpected WAF result %s: %s (%s)", k, v, why[k])
		}
	}
	// CloudFront-scope ACLs are read once, in the home region's turn, from
	// us-east-1 whatever regions are configured: an account set to
	// eu-west-1 alone still has its CloudFront ACLs judged.
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("eu-west-1"), awsconfig.WithBaseEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(c *awsConfig, region string) (out []string) {
		for _, a := range awsWebACLs(context.Background(), inRegion(cfg, region), c, region) {
			out = append(out, a.(map[string]any)["id"].(string))
		}
		sort.Strings(out)
		return out
	}
	if got := ids(&awsConfig{Regions: []string{"eu-west-1"}}, "eu-west-1"); strings.Join(got, " ") != "cloudfront/edge eu-west-1/api" {
		t.Errorf("eu-west-1 alone: %v, want its ACL and CloudFront's", got)
	}
	if got := ids(&awsConfig{Regions: []string{"eu-west-1", "us-east-1"}}, "us-east-1"); strings.Join(got, " ") != "us-east-1/api" {
		t.Errorf("us-east-1, not the home region: %v, want its own ACL only", got)
	}
}

func TestAWSPlatformCredentialURLs(t *testing.T) {
	for loc, want := range map[string][2]any{
		"https://user:token@bitbucket.org/acme/api.git": {"https://***@bitbucket.org/acme/api.git", true},
		"https://ghp_abc123@github.com/acme/api":        {"https://***@github.com/acme/api", true},
		"https://us:p@ss@bitbucket.org/acme/api.git":    {"https://***@bitbucket.org/acme/api.git", true}, // not a valid URL: judged by hand
		"https://github.com/acme/api.git":               {"", true},
		"https://github.com/acme/api@v1.git":            {"", true}, // an @ in the path is no user
		"acme-builds/api.zip":                           {"", false},
		"":                                              {"", false},
	} {
		masked, isURL := maskedCredentialURL(loc)
		if masked != want[0] || isURL != want[1] {
			t.Errorf("%q: %q %v, want %q %v", loc, masked, isURL, want[0], want[1])
		}
	}
}

// wantPlatform is what TestAWSPlatform wants of its seeded account.
func wantPlatform(zones platformZones) map[string]string {
	want := map[string]string{
		"aws.codebuild-source-no-credentials us-east-1/careless": "fail", "aws.codebuild-source-no-credentials us-east-1/careful": "pass",
		"aws.codebuild-source-no-credentials us-east-1/from-s3":          "not_applicable",
		"aws.codebuild-env-no-plaintext-credentials us-east-1/careless":  "fail",
		"aws.codebuild-env-no-plaintext-credentials us-east-1/careful":   "pass",
		"aws.codebuild-env-no-plaintext-credentials us-east-1/from-s3":   "pass",
		"aws.codebuild-logging us-east-1/careless":                       "fail",
		"aws.codebuild-logging us-east-1/careful":                        "pass",
		"aws.codebuild-logging us-east-1/from-s3":                        "pass",
		"aws.stepfunctions-logging us-east-1/careless":                   "fail",
		"aws.stepfunctions-logging us-east-1/careful":                    "pass",
		"aws.sagemaker-notebook-no-direct-internet us-east-1/careless":   "fail",
		"aws.sagemaker-notebook-no-direct-internet us-east-1/vpc-open":   "fail",
		"aws.sagemaker-notebook-no-direct-internet us-east-1/careful":    "pass",
		"aws.sagemaker-notebook-no-root us-east-1/careless":              "fail",
		"aws.sagemaker-notebook-no-root us-east-1/vpc-open":              "pass",
		"aws.sagemaker-notebook-no-root us-east-1/careful":               "pass",
		"aws.sagemaker-notebook-in-vpc us-east-1/careless":               "fail",
		"aws.sagemaker-notebook-in-vpc us-east-1/vpc-open":               "pass",
		"aws.sagemaker-notebook-in-vpc us-east-1/careful":                "pass",
		"aws.waf-logging us-east-1/api":                                  "pass",
		"aws.waf-logging eu-west-1/api":                                  "fail",
		"aws.waf-logging cloudfront/edge":                                "pass",
		"aws.route53-query-logging example.com (" + zones.logged + ")":   "pass",
		"aws.route53-query-logging example.org (" + zones.unlogged + ")": "fail",
		"aws.route53-query-logging example.com (" + zones.private + ")":  "not_applicable",
	}
	return want
}
