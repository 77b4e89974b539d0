package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
)

// awsConfigRecorder: is AWS Config recording in the region, every
// resource type (including global ones) or a selection? {id: REGION,
// recording, all_resources, global, recorders}.
func awsConfigRecorder(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := configservice.NewFromConfig(cfg)
	recs, err := cl.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	if err != nil {
		return []any{awsError(region, describeAWS("config:DescribeConfigurationRecorders in "+region, err))}
	}
	m := map[string]any{"id": region, "recorders": len(recs.ConfigurationRecorders), "recording": false, "all_resources": false, "global": false}
	if len(recs.ConfigurationRecorders) == 0 {
		return []any{m}
	}
	st, err := cl.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
	if err != nil {
		return []any{awsError(region, describeAWS("config:DescribeConfigurationRecorderStatus in "+region, err))}
	}
	recording := map[string]bool{}
	for _, s := range st.ConfigurationRecordersStatus {
		// Recording whose last delivery failed records nothing.
		recording[aws.ToString(s.Name)] = s.Recording && s.LastStatus != cstypes.RecorderStatusFailure
	}
	for _, r := range recs.ConfigurationRecorders {
		if !recording[aws.ToString(r.Name)] {
			continue
		}
		m["recording"] = true
		if g := r.RecordingGroup; g == nil || g.AllSupported {
			// No recording group records every supported regional type,
			// without the global ones (AWS's default).
			m["all_resources"] = true
			m["global"] = g != nil && g.IncludeGlobalResourceTypes
		}
	}
	return []any{m}
}

// awsSecurityHub: is Security Hub enabled in the region? {id: REGION,
// enabled}. DescribeHub answers InvalidAccessException when it is not.
func awsSecurityHub(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	_, err := securityhub.NewFromConfig(cfg).DescribeHub(ctx, &securityhub.DescribeHubInput{})
	switch {
	case err == nil:
		return []any{map[string]any{"id": region, "enabled": true}}
	case apiCode(err, "InvalidAccessException") || apiCode(err, "ResourceNotFoundException"):
		return []any{map[string]any{"id": region, "enabled": false}}
	}
	return []any{awsError(region, describeAWS("securityhub:DescribeHub in "+region, err))}
}

// awsEFS: every EFS file system: {id: "REGION/fs-…", encrypted}.
func awsEFS(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := efs.NewFromConfig(cfg)
	var out []any
	err := awsPages("elasticfilesystem:DescribeFileSystems in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, f := range page.FileSystems {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(f.FileSystemId), "encrypted": aws.ToBool(f.Encrypted)})
		}
		return page.NextMarker, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("elasticfilesystem:DescribeFileSystems in "+region, err)))
	}
	return out
}

// awsAccessAnalyzer: the region's IAM Access Analyzer analyzers of
// external access (account or organization zone of trust): {id: REGION,
// active: n}. Analyzers of unused access do not count.
func awsAccessAnalyzer(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := accessanalyzer.NewFromConfig(cfg)
	active := 0
	err := awsPages("access-analyzer:ListAnalyzers in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, a := range page.Analyzers {
			if a.Status == aatypes.AnalyzerStatusActive && (a.Type == aatypes.TypeAccount || a.Type == aatypes.TypeOrganization) {
				active++
			}
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("access-analyzer:ListAnalyzers in "+region, err))}
	}
	return []any{map[string]any{"id": region, "active": active}}
}

// awsDynamoDB: every table with its point-in-time recovery and deletion
// protection: {id: "REGION/TABLE", pitr, deletion_protection}.
func awsDynamoDB(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := dynamodb.NewFromConfig(cfg)
	var names []string
	err := awsPages("dynamodb:ListTables in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListTables(ctx, &dynamodb.ListTablesInput{ExclusiveStartTableName: tok})
		if err != nil {
			return nil, err
		}
		names = append(names, page.TableNames...)
		return page.LastEvaluatedTableName, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("dynamodb:ListTables in "+region, err))}
	}
	return forEach(names, func(name string) map[string]any {
		id := region + "/" + name
		d, err := cl.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return awsError(id, describeAWS("dynamodb:DescribeTable on "+name, err))
		}
		b, err := cl.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: &name})
		if err != nil {
			return awsError(id, describeAWS("dynamodb:DescribeContinuousBackups on "+name, err))
		}
		pitr := false
		if c := b.ContinuousBackupsDescription; c != nil && c.PointInTimeRecoveryDescription != nil {
			pitr = c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == ddbtypes.PointInTimeRecoveryStatusEnabled
		}
		return map[string]any{"id": id, "pitr": pitr, "deletion_protection": aws.ToBool(d.Table.DeletionProtectionEnabled)}
	})
}
