package aws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	ostypes "github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/redshift"
)

// awsECR: every private repository: {id: "REGION/REPO", scan_on_push,
// immutable_tags, lifecycle, public, external}.
func awsECR(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := ecr.NewFromConfig(cfg)
	var repos []ecrtypes.Repository
	err := awsPages("ecr:DescribeRepositories in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		repos = append(repos, page.Repositories...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("ecr:DescribeRepositories in "+region, err))}
	}
	return forEach(repos, func(r ecrtypes.Repository) map[string]any {
		name := aws.ToString(r.RepositoryName)
		m := map[string]any{"id": region + "/" + name, "immutable_tags": r.ImageTagMutability == ecrtypes.ImageTagMutabilityImmutable,
			"scan_on_push": r.ImageScanningConfiguration != nil && r.ImageScanningConfiguration.ScanOnPush}
		switch _, err := cl.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: &name}); {
		case err == nil:
			m["lifecycle"] = true
		case apiCode(err, "LifecyclePolicyNotFoundException"):
			m["lifecycle"] = false
		default:
			m["lifecycle_error"] = describeAWS("ecr:GetLifecyclePolicy on "+name, err)
		}
		switch p, err := cl.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: &name}); {
		case err == nil:
			exposure(m, aws.ToString(p.PolicyText), "ecr", c.account)
		case apiCode(err, "RepositoryPolicyNotFoundException"):
			exposure(m, "", "ecr", c.account)
		default:
			m["error"] = describeAWS("ecr:GetRepositoryPolicy on "+name, err)
		}
		return m
	})
}

// awsRedshift: every cluster: {id: "REGION/CLUSTER", public, encrypted,
// audit_logging, snapshot_days (automated snapshots kept), version_upgrade
// (major versions applied in the maintenance window)}.
func awsRedshift(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := redshift.NewFromConfig(cfg)
	var out []any
	err := awsPages("redshift:DescribeClusters in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeClusters(ctx, &redshift.DescribeClustersInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, k := range page.Clusters {
			id := aws.ToString(k.ClusterIdentifier)
			m := map[string]any{"id": region + "/" + id, "public": aws.ToBool(k.PubliclyAccessible), "encrypted": aws.ToBool(k.Encrypted),
				"snapshot_days": int(aws.ToInt32(k.AutomatedSnapshotRetentionPeriod)), "version_upgrade": aws.ToBool(k.AllowVersionUpgrade)}
			if l, err := cl.DescribeLoggingStatus(ctx, &redshift.DescribeLoggingStatusInput{ClusterIdentifier: &id}); err != nil {
				m["logging_error"] = describeAWS("redshift:DescribeLoggingStatus on "+id, err)
			} else {
				m["audit_logging"] = aws.ToBool(l.LoggingEnabled)
			}
			out = append(out, m)
		}
		return page.Marker, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("redshift:DescribeClusters in "+region, err)))
	}
	return out
}

// awsElastiCache: every replication group (Redis and Valkey): {id:
// "REGION/GROUP", at_rest, in_transit, auto_failover, snapshot_days,
// minor_upgrades, auth}. AWS always answers AutoMinorVersionUpgrade; an
// answer without it leaves minor_upgrades unknown (minor_upgrades_error),
// not off or on. auth: an AUTH token, or RBAC user groups whose "default"
// user (the one every client that does not sign in acts as) needs a
// password or is switched off; auth_error when those cannot be read.
func awsElastiCache(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := elasticache.NewFromConfig(cfg)
	var out []any
	err := awsPages("elasticache:DescribeReplicationGroups in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, g := range page.ReplicationGroups {
			m := map[string]any{"id": region + "/" + aws.ToString(g.ReplicationGroupId),
				"at_rest": aws.ToBool(g.AtRestEncryptionEnabled), "in_transit": aws.ToBool(g.TransitEncryptionEnabled),
				"auto_failover": g.AutomaticFailover == "enabled", "snapshot_days": int(aws.ToInt32(g.SnapshotRetentionLimit)), "auth": aws.ToBool(g.AuthTokenEnabled)}
			if !aws.ToBool(g.AuthTokenEnabled) && len(g.UserGroupIds) > 0 {
				if open, err := defaultUserOpen(ctx, cl, g.UserGroupIds); err != nil {
					m["auth_error"] = err.Error()
				} else {
					m["auth"] = open == ""
					m["auth_reason"] = open
				}
			}
			if g.AutoMinorVersionUpgrade == nil {
				m["minor_upgrades_error"] = "elasticache:DescribeReplicationGroups does not say whether " + aws.ToString(g.ReplicationGroupId) + " takes minor version upgrades"
			} else {
				m["minor_upgrades"] = *g.AutoMinorVersionUpgrade
			}
			out = append(out, m)
		}
		return page.Marker, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("elasticache:DescribeReplicationGroups in "+region, err)))
	}
	return out
}

// awsOpenSearch: every domain: {id: "REGION/DOMAIN", at_rest,
// node_to_node, https_only, in_vpc, fine_grained (fine-grained access
// control), audit_logs (audit logs published to CloudWatch Logs)}.
func awsOpenSearch(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := opensearch.NewFromConfig(cfg)
	names, err := cl.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
	if err != nil {
		return []any{awsError(region, describeAWS("es:ListDomainNames in "+region, err))}
	}
	var list []string
	for _, d := range names.DomainNames {
		list = append(list, aws.ToString(d.DomainName))
	}
	return forEach(list, func(name string) map[string]any {
		id := region + "/" + name
		d, err := cl.DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: &name})
		if err != nil {
			return awsError(id, describeAWS("es:DescribeDomain on "+name, err))
		}
		s := d.DomainStatus
		m := map[string]any{"id": id, "at_rest": false, "node_to_node": false, "https_only": false, "in_vpc": s.VPCOptions != nil && len(s.VPCOptions.SubnetIds) > 0}
		if e := s.EncryptionAtRestOptions; e != nil {
			m["at_rest"] = aws.ToBool(e.Enabled)
		}
		if e := s.NodeToNodeEncryptionOptions; e != nil {
			m["node_to_node"] = aws.ToBool(e.Enabled)
		}
		if e := s.DomainEndpointOptions; e != nil {
			m["https_only"] = aws.ToBool(e.EnforceHTTPS)
		}
		m["fine_grained"] = s.AdvancedSecurityOptions != nil && aws.ToBool(s.AdvancedSecurityOptions.Enabled)
		audit, ok := s.LogPublishingOptions[string(ostypes.LogTypeAuditLogs)]
		m["audit_logs"] = ok && aws.ToBool(audit.Enabled) && aws.ToString(audit.CloudWatchLogsLogGroupArn) != ""
		return m
	})
}

// awsECSTaskDefinitions: the latest active revision of every task
// definition family: {id: "REGION/FAMILY:REV", privileged: [containers],
// root: [containers running as root or with no user], host_network,
// writable_root: [containers without a read-only root file system]}.
func awsECSTaskDefinitions(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := ecs.NewFromConfig(cfg)
	var families []string
	err := awsPages("ecs:ListTaskDefinitionFamilies in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{NextToken: tok, Status: ecstypes.TaskDefinitionFamilyStatusActive})
		if err != nil {
			return nil, err
		}
		families = append(families, page.Families...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("ecs:ListTaskDefinitionFamilies in "+region, err))}
	}
	return forEach(families, func(family string) map[string]any {
		d, err := cl.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: &family})
		if err != nil {
			return awsError(region+"/"+family, describeAWS("ecs:DescribeTaskDefinition on "+family, err))
		}
		td := d.TaskDefinition
		id := region + "/" + aws.ToString(td.Family) + ":" + strconv.Itoa(int(td.Revision))
		privileged, root, writable := []any{}, []any{}, []any{}
		for _, ct := range td.ContainerDefinitions {
			name := aws.ToString(ct.Name)
			if aws.ToBool(ct.Privileged) {
				privileged = append(privileged, name)
			}
			// No user runs the image's default, root unless the image
			// says otherwise: not shown to be non-root.
			if u := aws.ToString(ct.User); u == "" || u == "root" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
				root = append(root, name)
			}
			if !aws.ToBool(ct.ReadonlyRootFilesystem) {
				writable = append(writable, name)
			}
		}
		return map[string]any{"id": id, "privileged": privileged, "root": root, "writable_root": writable, "host_network": td.NetworkMode == ecstypes.NetworkModeHost}
	})
}

// awsKinesis: every data stream: {id: "REGION/STREAM", encrypted}.
func awsKinesis(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := kinesis.NewFromConfig(cfg)
	var names []string
	err := awsPages("kinesis:ListStreams in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListStreams(ctx, &kinesis.ListStreamsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		names = append(names, page.StreamNames...)
		if !aws.ToBool(page.HasMoreStreams) {
			return nil, nil
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("kinesis:ListStreams in "+region, err))}
	}
	return forEach(names, func(name string) map[string]any {
		id := region + "/" + name
		d, err := cl.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: &name})
		if err != nil {
			return awsError(id, describeAWS("kinesis:DescribeStreamSummary on "+name, err))
		}
		return map[string]any{"id": id, "encrypted": d.StreamDescriptionSummary.EncryptionType == kinesistypes.EncryptionTypeKms}
	})
}

// defaultUserOpen names the user group whose "default" user lets clients in
// without a password (its access string not "off"), or "" when none does.
// Every RBAC user group holds a user named default, and a client that never
// authenticates acts as it.
func defaultUserOpen(ctx context.Context, cl *elasticache.Client, groups []string) (string, error) {
	for _, gid := range groups {
		ug, err := cl.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String(gid)})
		if err != nil {
			return "", errors.New(describeAWS("elasticache:DescribeUserGroups on "+gid, err))
		}
		found := false
		for _, g := range ug.UserGroups {
			for _, uid := range g.UserIds {
				us, err := cl.DescribeUsers(ctx, &elasticache.DescribeUsersInput{UserId: aws.String(uid)})
				if err != nil {
					return "", errors.New(describeAWS("elasticache:DescribeUsers on "+uid, err))
				}
				for _, u := range us.Users {
					if aws.ToString(u.UserName) != "default" {
						continue
					}
					found = true
					noPassword := u.Authentication == nil || u.Authentication.Type == ectypes.AuthenticationTypeNoPassword
					if noPassword && !strings.HasPrefix(strings.TrimSpace(aws.ToString(u.AccessString)), "off") {
						return "user group " + gid + " lets clients in as its default user, which has no password", nil
					}
				}
			}
		}
		if !found {
			return "", fmt.Errorf("user group %s: its default user could not be found", gid)
		}
	}
	return "", nil
}
