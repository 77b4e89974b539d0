package aws

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// The per-region reads of awsRegionalReads. Each returns resources whose
// ids start with the region; a failed call adds {id: REGION, error} after
// what was read, so the region's checks error rather than pass on less.

// awsSecurityGroups: every security group (all pages) and the admin ports
// it opens to the world, per address family (CIS 5.2 and 5.3 are separate
// recommendations): {id: "REGION/sg-… NAME", open_admin: ["22"],
// open_admin_v6: ["22"], world_open: [{protocol, from, to}]}.
func awsSecurityGroups(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	var out []any
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeSecurityGroups in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, g := range page.SecurityGroups {
			open, open6 := []any{}, []any{}
			for _, port := range c.AdminPorts {
				// Every rule that opens the port counts together: EC2 keeps
				// one rule per protocol and port range, so 0.0.0.0/1 on
				// port 22 and 128.0.0.0/1 on all ports open 22 to the world.
				var opening []ec2types.IpPermission
				for _, perm := range g.IpPermissions {
					if opensPort(perm, port) {
						opening = append(opening, perm)
					}
				}
				v4, v6 := worldOpen(opening...)
				if v4 {
					open = append(open, strconv.Itoa(int(port)))
				}
				if v6 {
					open6 = append(open6, strconv.Itoa(int(port)))
				}
			}
			// Every rule open to the world, as port ranges: checks ask
			// about the ports they care for. A rule's ranges count with
			// those of every rule that covers all its ports.
			world := []any{}
			for _, perm := range g.IpPermissions {
				with := []ec2types.IpPermission{perm}
				for _, other := range g.IpPermissions {
					if coversPorts(other, perm) {
						with = append(with, other)
					}
				}
				if w4, w6 := worldOpen(with...); !w4 && !w6 {
					continue
				}
				switch proto := aws.ToString(perm.IpProtocol); proto {
				case "-1":
					world = append(world, map[string]any{"protocol": "all", "from": 0, "to": 65535})
				case "tcp", "udp", "6", "17":
					world = append(world, map[string]any{"protocol": proto, "from": int(aws.ToInt32(perm.FromPort)), "to": int(aws.ToInt32(perm.ToPort))})
				}
			}
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(g.GroupId) + " " + aws.ToString(g.GroupName), "open_admin": open, "open_admin_v6": open6,
				"world_open": world, "default": aws.ToString(g.GroupName) == "default", "inbound_rules": len(g.IpPermissions), "outbound_rules": len(g.IpPermissionsEgress)})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeSecurityGroups in "+region, err)))
	}
	return out
}

// opensPort: the rule lets TCP or UDP traffic reach the port. ICMP rules
// carry ICMP types in FromPort/ToPort, not ports.
func opensPort(p ec2types.IpPermission, port int32) bool {
	switch aws.ToString(p.IpProtocol) {
	case "-1":
		return true
	case "tcp", "udp", "6", "17":
		return aws.ToInt32(p.FromPort) <= port && port <= aws.ToInt32(p.ToPort)
	}
	return false
}

// worldOpen: the rules together admit every IPv4 address, every IPv6
// address. Not only 0.0.0.0/0 and ::/0: ranges that together cover the
// whole space (0.0.0.0/1 with 128.0.0.0/1) admit the world as surely.
func worldOpen(ps ...ec2types.IpPermission) (v4, v6 bool) {
	var r4, r6 []string
	for _, p := range ps {
		for _, r := range p.IpRanges {
			r4 = append(r4, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			r6 = append(r6, aws.ToString(r.CidrIpv6))
		}
	}
	return coversAll(r4, false), coversAll(r6, true)
}

// coversPorts: rule a lets in every protocol and port rule b does.
func coversPorts(a, b ec2types.IpPermission) bool {
	pa, pb := aws.ToString(a.IpProtocol), aws.ToString(b.IpProtocol)
	switch {
	case pa == "-1":
		return true
	case pa != pb || (pa != "tcp" && pa != "udp" && pa != "6" && pa != "17"):
		return false
	}
	return aws.ToInt32(a.FromPort) <= aws.ToInt32(b.FromPort) && aws.ToInt32(b.ToPort) <= aws.ToInt32(a.ToPort)
}

// coversAll: the union of the CIDR blocks is the whole IPv4 (or IPv6)
// space. Blocks that do not parse cover nothing.
func coversAll(cidrs []string, v6 bool) bool {
	var ps []netip.Prefix
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is6() != v6 {
			continue
		}
		ps = append(ps, p.Masked())
	}
	slices.SortFunc(ps, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	// next is the first address not yet covered; the walk ends covered
	// when a block reaches the space's last address.
	next := netip.IPv4Unspecified()
	if v6 {
		next = netip.IPv6Unspecified()
	}
	for _, p := range ps {
		if p.Addr().Compare(next) > 0 {
			return false // a gap before this block
		}
		last := lastAddr(p)
		n := last.Next()
		if !n.IsValid() {
			return true // reached the end of the space
		}
		if n.Compare(next) > 0 {
			next = n
		}
	}
	return false
}

// lastAddr is a prefix's highest address.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// awsVolumes: every EBS volume (all pages): {id: "REGION/vol-…", encrypted}.
func awsVolumes(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	var out []any
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeVolumes in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, v := range page.Volumes {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(v.VolumeId), "encrypted": aws.ToBool(v.Encrypted)})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeVolumes in "+region, err)))
	}
	return out
}

// awsEBSDefault: EBS encryption by default, a setting of each region:
// {id: REGION, enabled}.
func awsEBSDefault(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	o, err := ec2.NewFromConfig(cfg).GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{})
	if err != nil {
		return []any{awsError(region, describeAWS("ec2:GetEbsEncryptionByDefault in "+region, err))}
	}
	return []any{map[string]any{"id": region, "enabled": aws.ToBool(o.EbsEncryptionByDefault)}}
}

// awsKMSKeys: every KMS key of the region, {id: "REGION/KEY", rotation}.
// Keys automatic rotation does not apply to are listed with na saying why
// (AWS-managed keys, which AWS rotates; keys that are not enabled;
// asymmetric and HMAC keys; imported or external key material), so they
// are shown rather than silently left out.
func awsKMSKeys(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := kms.NewFromConfig(cfg)
	var out []any
	var keys []kmstypes.KeyListEntry
	err := awsPages("kms:ListKeys in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListKeys(ctx, &kms.ListKeysInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		keys = append(keys, page.Keys...)
		if !page.Truncated {
			return nil, nil
		}
		return page.NextMarker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("kms:ListKeys in "+region, err))}
	}
	for _, k := range keys {
		id := region + "/" + aws.ToString(k.KeyId)
		d, err := cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
		if err != nil {
			out = append(out, awsError(id, describeAWS("kms:DescribeKey on "+id, err)))
			continue
		}
		md := d.KeyMetadata
		m := map[string]any{"id": id, "rotation": false, "key_spec": string(md.KeySpec), "manager": string(md.KeyManager), "state": string(md.KeyState)}
		switch {
		case md.KeyManager != kmstypes.KeyManagerTypeCustomer:
			m["na"] = "an AWS-managed key: AWS rotates it"
		case md.KeyState != kmstypes.KeyStateEnabled:
			m["na"] = "the key is " + string(md.KeyState) + ": it protects no new data"
		case md.KeySpec != kmstypes.KeySpecSymmetricDefault:
			m["na"] = "a " + string(md.KeySpec) + " key: only symmetric encryption keys rotate automatically"
		case md.Origin != kmstypes.OriginTypeAwsKms:
			m["na"] = "key material from " + string(md.Origin) + ": KMS cannot rotate it automatically"
		default:
			if rs, err := cl.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: k.KeyId}); err != nil {
				m["error"] = describeAWS("kms:GetKeyRotationStatus on "+id, err)
			} else {
				m["rotation"] = rs.KeyRotationEnabled
			}
		}
		out = append(out, m)
	}
	return out
}

// awsRDSInstances: every database instance (all pages), {id:
// "REGION/NAME", encrypted, public}.
func awsRDSInstances(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	var out []any
	client := rds.NewFromConfig(cfg)
	err := awsPages("rds:DescribeDBInstances in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, d := range page.DBInstances {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(d.DBInstanceIdentifier), "encrypted": aws.ToBool(d.StorageEncrypted),
				"public": aws.ToBool(d.PubliclyAccessible), "minor_upgrades": aws.ToBool(d.AutoMinorVersionUpgrade),
				"backup_days": int(aws.ToInt32(d.BackupRetentionPeriod)), "deletion_protection": aws.ToBool(d.DeletionProtection),
				"multi_az": aws.ToBool(d.MultiAZ), "monitoring_interval": int(aws.ToInt32(d.MonitoringInterval)), "engine": aws.ToString(d.Engine), "iam_auth": aws.ToBool(d.IAMDatabaseAuthenticationEnabled),
				"log_exports": kind.ToAny(d.EnabledCloudwatchLogsExports), "cluster": aws.ToString(d.DBClusterIdentifier)})
		}
		return page.Marker, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("rds:DescribeDBInstances in "+region, err)))
	}
	return out
}

// awsGuardDuty: is a detector enabled in the region? {id: REGION, enabled}.
func awsGuardDuty(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := guardduty.NewFromConfig(cfg)
	out := map[string]any{"id": region, "enabled": false}
	var ids []string
	err := awsPages("guardduty:ListDetectors in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListDetectors(ctx, &guardduty.ListDetectorsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		ids = append(ids, page.DetectorIds...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("guardduty:ListDetectors in "+region, err))}
	}
	for _, id := range ids {
		d, err := cl.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
		if err != nil {
			return []any{awsError(region, describeAWS("guardduty:GetDetector in "+region, err))}
		}
		if d.Status == gdtypes.DetectorStatusEnabled {
			out["enabled"] = true
		}
	}
	return []any{out}
}

// awsPages calls fetch with each page's token until it returns none. The
// SDK's paginators take the client as an interface, and any AWS client
// converted to an interface keeps all of its methods in the binary
// (text/template's reflection stops the linker pruning them): for EC2
// alone, 2,400 methods and over 30 MB of code that never runs. A token
// seen twice is an error: a looping API must not loop us.
func awsPages(op string, fetch func(token *string) (*string, error)) error {
	seen := map[string]bool{}
	var tok *string
	for {
		next, err := fetch(tok)
		if err != nil {
			return err
		}
		n := aws.ToString(next)
		if n == "" {
			return nil
		}
		if seen[n] {
			return fmt.Errorf("%s returned the same page token twice", op)
		}
		seen[n] = true
		tok = next
	}
}
