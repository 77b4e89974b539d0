package aws

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// awsCodeBuild: every build project: {id: "REGION/PROJECT", repo_sources
// (how many sources are repository URLs), source_credentials: [URLs that
// embed credentials, the credentials masked], plaintext_credentials:
// [AWS key variables kept in plain text], cloudwatch_logs, s3_logs}.
// Secrets read here (variable values, URL credentials) never reach the
// input.
func awsCodeBuild(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := codebuild.NewFromConfig(cfg)
	var names []string
	err := awsPages("codebuild:ListProjects in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListProjects(ctx, &codebuild.ListProjectsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		names = append(names, page.Projects...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("codebuild:ListProjects in "+region, err))}
	}
	var out []any
	for batch := range slices.Chunk(names, 100) { // the most BatchGetProjects takes
		got, err := cl.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: batch})
		if err != nil {
			for _, n := range batch {
				out = append(out, awsError(region+"/"+n, describeAWS("codebuild:BatchGetProjects on "+n, err)))
			}
			continue
		}
		for _, p := range got.Projects {
			out = append(out, codeBuildProject(region, p))
		}
		// Listed but not answered (deleted meanwhile, or refused): unknown.
		for _, n := range got.ProjectsNotFound {
			out = append(out, awsError(region+"/"+n, "codebuild:BatchGetProjects did not return the listed project "+n))
		}
	}
	return out
}

// plaintextAWSKeys are the variables the AWS SDKs and CLI read credentials
// from (FSBP CodeBuild.2).
var plaintextAWSKeys = map[string]bool{"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true}

func codeBuildProject(region string, p cbtypes.Project) map[string]any {
	name := aws.ToString(p.Name)
	m := map[string]any{"id": region + "/" + name}
	repos, leaked := 0, []any{}
	sources := append([]cbtypes.ProjectSource{}, p.SecondarySources...)
	if p.Source != nil {
		sources = append([]cbtypes.ProjectSource{*p.Source}, sources...)
	}
	for _, s := range sources {
		masked, isURL := maskedCredentialURL(aws.ToString(s.Location))
		if isURL {
			repos++
		}
		if masked != "" {
			leaked = append(leaked, masked)
		}
	}
	m["repo_sources"], m["source_credentials"] = repos, leaked
	plain := []any{}
	if e := p.Environment; e != nil {
		for _, v := range e.EnvironmentVariables {
			// No type is PLAINTEXT, AWS's documented default.
			if plaintextAWSKeys[aws.ToString(v.Name)] && (v.Type == "" || v.Type == cbtypes.EnvironmentVariableTypePlaintext) {
				plain = append(plain, aws.ToString(v.Name))
			}
		}
	}
	m["plaintext_credentials"] = plain
	// AWS answers a logs configuration for every project (moto only when
	// one was given); without one the logging is unknown, not off.
	if l := p.LogsConfig; l == nil {
		m["logging_error"] = "codebuild:BatchGetProjects gave no logs configuration for " + name
	} else {
		m["cloudwatch_logs"] = l.CloudWatchLogs != nil && l.CloudWatchLogs.Status == cbtypes.LogsConfigStatusTypeEnabled
		m["s3_logs"] = l.S3Logs != nil && l.S3Logs.Status == cbtypes.LogsConfigStatusTypeEnabled
	}
	return m
}

// maskedCredentialURL: whether location is a repository URL, and, when it
// carries user information (a user and password, or a token in the user
// field, which cannot be told from a user name), the URL with it masked.
func maskedCredentialURL(location string) (masked string, isURL bool) {
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" || u.Host == "" {
		// A URL that does not parse may still embed credentials: judge
		// its authority by hand rather than call it clean.
		scheme, rest, ok := strings.Cut(location, "://")
		if !ok {
			return "", false
		}
		authority, path, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			return scheme + "://***@" + authority[at+1:] + "/" + path, true
		}
		return "", true
	}
	if u.User == nil {
		return "", true
	}
	u.User = nil
	return strings.Replace(u.String(), "://", "://***@", 1), true
}

// awsStepFunctions: every state machine: {id: "REGION/NAME", log_level}.
func awsStepFunctions(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := sfn.NewFromConfig(cfg)
	var machines []sfntypes.StateMachineListItem
	err := awsPages("states:ListStateMachines in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		machines = append(machines, page.StateMachines...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("states:ListStateMachines in "+region, err))}
	}
	return forEach(machines, func(s sfntypes.StateMachineListItem) map[string]any {
		name := aws.ToString(s.Name)
		id := region + "/" + name
		d, err := cl.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: s.StateMachineArn})
		if err != nil {
			return awsError(id, describeAWS("states:DescribeStateMachine on "+name, err))
		}
		// AWS answers OFF when logging is off; no level is unknown.
		if d.LoggingConfiguration == nil || d.LoggingConfiguration.Level == "" {
			return awsError(id, "states:DescribeStateMachine gave no logging level for "+name)
		}
		return map[string]any{"id": id, "log_level": string(d.LoggingConfiguration.Level)}
	})
}

// awsSageMakerNotebooks: every notebook instance: {id: "REGION/NAME",
// direct_internet, root_access, subnet}. A setting the answer leaves out
// is a *_error: AWS's defaults (both enabled) are not assumed.
func awsSageMakerNotebooks(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := sagemaker.NewFromConfig(cfg)
	var names []string
	err := awsPages("sagemaker:ListNotebookInstances in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, n := range page.NotebookInstances {
			names = append(names, aws.ToString(n.NotebookInstanceName))
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("sagemaker:ListNotebookInstances in "+region, err))}
	}
	return forEach(names, func(name string) map[string]any {
		id := region + "/" + name
		d, err := cl.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: &name})
		if err != nil {
			return awsError(id, describeAWS("sagemaker:DescribeNotebookInstance on "+name, err))
		}
		m := map[string]any{"id": id, "subnet": aws.ToString(d.SubnetId)}
		switch d.DirectInternetAccess {
		case smtypes.DirectInternetAccessEnabled, smtypes.DirectInternetAccessDisabled:
			m["direct_internet"] = d.DirectInternetAccess == smtypes.DirectInternetAccessEnabled
		default:
			m["direct_internet_error"] = "sagemaker:DescribeNotebookInstance gave no DirectInternetAccess (" + string(d.DirectInternetAccess) + ") for " + name
		}
		switch d.RootAccess {
		case smtypes.RootAccessEnabled, smtypes.RootAccessDisabled:
			m["root_access"] = d.RootAccess == smtypes.RootAccessEnabled
		default:
			m["root_access_error"] = "sagemaker:DescribeNotebookInstance gave no RootAccess (" + string(d.RootAccess) + ") for " + name
		}
		return m
	})
}

// awsWebACLs: every WAFv2 web ACL: {id: "REGION/NAME" (regional) or
// "cloudfront/NAME" (CloudFront scope, read from us-east-1 only, where
// AWS keeps them), logging}.
func awsWebACLs(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := wafv2.NewFromConfig(cfg)
	scopes := []waftypes.Scope{waftypes.ScopeRegional}
	// CloudFront's web ACLs live in us-east-1 whatever regions are
	// configured: read once, with the home region's turn.
	if region == homeRegion(c) {
		scopes = append(scopes, waftypes.ScopeCloudfront)
	}
	var out []any
	for _, scope := range scopes {
		cl := cl
		if scope == waftypes.ScopeCloudfront {
			cl = wafv2.NewFromConfig(inRegion(cfg, "us-east-1"))
		}
		prefix, what := region+"/", "wafv2:ListWebACLs in "+region
		if scope == waftypes.ScopeCloudfront {
			prefix, what = "cloudfront/", "wafv2:ListWebACLs (CloudFront)"
		}
		var acls []waftypes.WebACLSummary
		err := awsPages(what, func(tok *string) (*string, error) {
			page, err := cl.ListWebACLs(ctx, &wafv2.ListWebACLsInput{Scope: scope, NextMarker: tok, Limit: aws.Int32(100)})
			if err != nil {
				return nil, err
			}
			acls = append(acls, page.WebACLs...)
			// WAFv2 answers a NextMarker even after the last page.
			if len(page.WebACLs) == 0 {
				return nil, nil
			}
			return page.NextMarker, nil
		})
		if err != nil {
			out = append(out, awsError(strings.TrimSuffix(prefix, "/"), describeAWS(what, err)))
			continue
		}
		out = append(out, forEach(acls, func(a waftypes.WebACLSummary) map[string]any {
			id := prefix + aws.ToString(a.Name)
			l, err := cl.GetLoggingConfiguration(ctx, &wafv2.GetLoggingConfigurationInput{ResourceArn: a.ARN})
			switch {
			case apiCode(err, "WAFNonexistentItemException"):
				return map[string]any{"id": id, "logging": false}
			case err != nil:
				return awsError(id, describeAWS("wafv2:GetLoggingConfiguration on "+id, err))
			case l.LoggingConfiguration == nil:
				return awsError(id, "wafv2:GetLoggingConfiguration answered no configuration for "+id)
			}
			return map[string]any{"id": id, "logging": len(l.LoggingConfiguration.LogDestinationConfigs) > 0}
		})...)
	}
	return out
}

// awsRoute53: every hosted zone (global, read once): {id: "NAME (ZONEID)",
// private, query_logging}. The query logging configurations are listed
// once for the account and matched to zones by id (fewer calls; and moto
// cannot list them per zone).
func awsRoute53(ctx context.Context, cfg aws.Config) []any {
	cl := route53.NewFromConfig(cfg)
	var zones []r53types.HostedZone
	err := awsPages("route53:ListHostedZones", func(tok *string) (*string, error) {
		page, err := cl.ListHostedZones(ctx, &route53.ListHostedZonesInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		zones = append(zones, page.HostedZones...)
		if !page.IsTruncated {
			return nil, nil
		}
		return page.NextMarker, nil
	})
	if err != nil {
		return []any{awsError("route53", describeAWS("route53:ListHostedZones", err))}
	}
	logged := map[string]bool{}
	logErr := awsPages("route53:ListQueryLoggingConfigs", func(tok *string) (*string, error) {
		page, err := cl.ListQueryLoggingConfigs(ctx, &route53.ListQueryLoggingConfigsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, q := range page.QueryLoggingConfigs {
			logged[zoneID(aws.ToString(q.HostedZoneId))] = true
		}
		return page.NextToken, nil
	})
	out := make([]any, 0, len(zones))
	for _, z := range zones {
		zid := zoneID(aws.ToString(z.Id))
		m := map[string]any{"id": strings.TrimSuffix(aws.ToString(z.Name), ".") + " (" + zid + ")", "private": z.Config != nil && z.Config.PrivateZone}
		if logErr != nil {
			m["query_logging_error"] = describeAWS("route53:ListQueryLoggingConfigs", logErr)
		} else {
			m["query_logging"] = logged[zid]
		}
		out = append(out, m)
	}
	return out
}

// zoneID is a hosted zone's bare id: ListHostedZones answers
// "/hostedzone/Z123", query logging configurations "Z123".
func zoneID(id string) string { return strings.TrimPrefix(id, "/hostedzone/") }
