package aws

import (
	"context"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// awsInstances: every instance that is not terminated (all pages):
// {id: "REGION/i-…", imds_tokens: "required"|"optional", public_ip,
// state}. A stopped instance is judged too: it starts as it is.
func awsInstances(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	var out []any
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeInstances in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, res := range page.Reservations {
			for _, in := range res.Instances {
				state := ""
				if in.State != nil {
					state = string(in.State.Name)
				}
				if state == "terminated" || state == "shutting-down" {
					continue
				}
				m := map[string]any{"id": region + "/" + aws.ToString(in.InstanceId), "state": state, "public_ip": aws.ToString(in.PublicIpAddress)}
				// Without metadata options the instance metadata service
				// answers version 1 requests: optional, as AWS's default.
				m["imds_tokens"] = "optional"
				if mo := in.MetadataOptions; mo != nil {
					if mo.HttpEndpoint == ec2types.InstanceMetadataEndpointStateDisabled {
						m["imds_tokens"] = "disabled"
					} else if mo.HttpTokens != "" {
						m["imds_tokens"] = string(mo.HttpTokens)
					}
				}
				out = append(out, m)
			}
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeInstances in "+region, err)))
	}
	return out
}

// awsNACLs: every network ACL with the admin ports its inbound rules open
// to the world, rules taken in order as AWS evaluates them (the lowest
// number first; the first rule that matches decides): {id:
// "REGION/acl-…", vpc, open_admin: ["22"]}.
func awsNACLs(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	var out []any
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeNetworkAcls in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, acl := range page.NetworkAcls {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(acl.NetworkAclId), "vpc": aws.ToString(acl.VpcId),
				"open_admin": kind.ToAny(naclOpenPorts(acl.Entries, c.AdminPorts))})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeNetworkAcls in "+region, err)))
	}
	return out
}

// naclOpenPorts lists the ports that traffic from anywhere (0.0.0.0/0 or
// ::/0) reaches: for each address family, the first inbound rule by number
// that applies to all sources and the port decides; a rule for a narrower
// source decides nothing for the rest of the world and is passed over.
func naclOpenPorts(entries []ec2types.NetworkAclEntry, ports []int32) []string {
	in := make([]ec2types.NetworkAclEntry, 0, len(entries))
	for _, e := range entries {
		if !aws.ToBool(e.Egress) {
			in = append(in, e)
		}
	}
	sort.Slice(in, func(i, j int) bool { return aws.ToInt32(in[i].RuleNumber) < aws.ToInt32(in[j].RuleNumber) })
	world := []func(ec2types.NetworkAclEntry) bool{
		func(e ec2types.NetworkAclEntry) bool { return aws.ToString(e.CidrBlock) == "0.0.0.0/0" },
		func(e ec2types.NetworkAclEntry) bool { return aws.ToString(e.Ipv6CidrBlock) == "::/0" },
	}
	var open []string
	for _, port := range ports {
		opened := false
		// SSH and RDP accept connections over TCP: the port is open when
		// TCP traffic from anywhere reaches it (a rule for UDP alone
		// decides nothing for it, either way).
		for _, anywhere := range world {
			opened = opened || firstDecides(in, "6", port, anywhere) == ec2types.RuleActionAllow
		}
		if opened {
			open = append(open, strconv.Itoa(int(port)))
		}
	}
	return open
}

// firstDecides is the action of the first rule (by number) that applies
// to every source of one address family, to the protocol and to port; ""
// when none does (the implicit final rule denies).
func firstDecides(rules []ec2types.NetworkAclEntry, proto string, port int32, anywhere func(ec2types.NetworkAclEntry) bool) ec2types.RuleAction {
	for _, e := range rules {
		if p := aws.ToString(e.Protocol); (p == "-1" || p == proto) && anywhere(e) && naclCovers(e, port) {
			return e.RuleAction
		}
	}
	return ""
}

func naclCovers(e ec2types.NetworkAclEntry, port int32) bool {
	switch aws.ToString(e.Protocol) {
	case "-1":
		return true
	case "6", "17":
		if e.PortRange == nil {
			return true
		}
		return aws.ToInt32(e.PortRange.From) <= port && port <= aws.ToInt32(e.PortRange.To)
	}
	return false
}

// awsVPCFlowLogs: every VPC with its active flow logs: {id:
// "REGION/vpc-…", flow_logs: n}.
func awsVPCFlowLogs(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	client := ec2.NewFromConfig(cfg)
	active := map[string]int{}
	err := awsPages("ec2:DescribeFlowLogs in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, f := range page.FlowLogs {
			if aws.ToString(f.FlowLogStatus) == "ACTIVE" && aws.ToString(f.DeliverLogsStatus) != "FAILED" {
				active[aws.ToString(f.ResourceId)]++
			}
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("ec2:DescribeFlowLogs in "+region, err))}
	}
	var out []any
	err = awsPages("ec2:DescribeVpcs in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, v := range page.Vpcs {
			id := aws.ToString(v.VpcId)
			out = append(out, map[string]any{"id": region + "/" + id, "flow_logs": active[id], "default": aws.ToBool(v.IsDefault)})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeVpcs in "+region, err)))
	}
	return out
}

// awsSnapshots: the account's own EBS snapshots and whether anyone may
// create a volume from them: {id: "REGION/snap-…", public, shared: [accounts]}.
func awsSnapshots(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	if c.account == "" {
		return []any{awsError(region, "the account's own snapshots cannot be told apart: "+c.accountErr)}
	}
	client := ec2.NewFromConfig(cfg)
	var snaps []ec2types.Snapshot
	err := awsPages("ec2:DescribeSnapshots in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range page.Snapshots {
			// "self" already asks for the account's own; moto answers
			// with every snapshot it knows, so the owner is checked too.
			if aws.ToString(s.OwnerId) == c.account {
				snaps = append(snaps, s)
			}
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("ec2:DescribeSnapshots in "+region, err))}
	}
	return forEach(snaps, func(s ec2types.Snapshot) map[string]any { return snapshotExposure(ctx, client, region, s) })
}

func snapshotExposure(ctx context.Context, client *ec2.Client, region string, s ec2types.Snapshot) map[string]any {
	id := region + "/" + aws.ToString(s.SnapshotId)
	attr, err := client.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: s.SnapshotId,
		Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission})
	if err != nil {
		return awsError(id, describeAWS("ec2:DescribeSnapshotAttribute on "+id, err))
	}
	public, shared := false, []any{}
	for _, p := range attr.CreateVolumePermissions {
		if p.Group == ec2types.PermissionGroupAll {
			public = true
		}
		if p.UserId != nil {
			shared = append(shared, aws.ToString(p.UserId))
		}
	}
	return map[string]any{"id": id, "public": public, "shared": shared, "encrypted": aws.ToBool(s.Encrypted)}
}
