package aws

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// What new instances will be: the account's own AMIs, subnets, launch
// templates and Auto Scaling launch configurations. A careful fleet today
// is undone by the template the next scale-out launches from.

// awsAMIs: every AMI the account owns: {id: "REGION/ami-… NAME", public}.
// DescribeImages's Public says whether the image has public launch
// permissions, so no per-image attribute read is needed.
func awsAMIs(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	var out []any
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeImages in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, im := range page.Images {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(im.ImageId) + " " + aws.ToString(im.Name), "public": aws.ToBool(im.Public)})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeImages in "+region, err)))
	}
	return out
}

// awsSubnets: every subnet: {id: "REGION/subnet-…", vpc, default,
// maps_public_ip}.
func awsSubnets(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	var out []any
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeSubnets in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subnets {
			m := map[string]any{"id": region + "/" + aws.ToString(s.SubnetId), "vpc": aws.ToString(s.VpcId),
				"default": aws.ToBool(s.DefaultForAz), "maps_public_ip": aws.ToBool(s.MapPublicIpOnLaunch)}
			// A subnet another account shares in (AWS RAM) is that
			// account's to configure.
			if owner := aws.ToString(s.OwnerId); owner != "" && c.account != "" && owner != c.account {
				m["na"] = "shared in by account " + owner + ", which sets it"
			}
			out = append(out, m)
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeSubnets in "+region, err)))
	}
	return out
}

// awsLaunchTemplates: the default and the latest version of every launch
// template, and every version an Auto Scaling group names by number (what
// launches; other versions launch nothing unless named): {id:
// "REGION/lt-… NAME vN", public_ip, imdsv2}. public_ip: a network interface asks for a public address;
// imdsv2: the template requires session tokens (a template that leaves
// them optional launches instances that accept IMDSv1).
func awsLaunchTemplates(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	var out []any
	seen := map[string]bool{}
	client := ec2.NewFromConfig(cfg)
	err := awsPages("ec2:DescribeLaunchTemplateVersions in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Default", "$Latest"}, NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, v := range page.LaunchTemplateVersions {
			m := launchTemplateVersion(region, v)
			if seen[m["id"].(string)] { // the default version is often the latest
				continue
			}
			seen[m["id"].(string)] = true
			out = append(out, m)
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("ec2:DescribeLaunchTemplateVersions in "+region, err)))
	}
	// Auto Scaling groups may pin a version that is neither: every
	// scale-out launches it.
	pinned, err := pinnedVersions(ctx, autoscaling.NewFromConfig(cfg))
	if err != nil {
		return append(out, awsError(region, describeAWS("autoscaling:DescribeAutoScalingGroups in "+region+" (the launch template versions groups pin)", err)))
	}
	for _, p := range pinned {
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{p.version}}
		if p.id != "" {
			in.LaunchTemplateId = aws.String(p.id)
		} else {
			in.LaunchTemplateName = aws.String(p.name)
		}
		v, err := client.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil {
			out = append(out, awsError(region+"/"+p.id+p.name+" v"+p.version, describeAWS("ec2:DescribeLaunchTemplateVersions on "+p.id+p.name+" version "+p.version, err)))
			continue
		}
		for _, lv := range v.LaunchTemplateVersions {
			if m := launchTemplateVersion(region, lv); !seen[m["id"].(string)] {
				seen[m["id"].(string)] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// launchTemplateVersion judges one launch template version: {id:
// "REGION/lt-… NAME vN", public_ip, imdsv2}.
func launchTemplateVersion(region string, v ec2types.LaunchTemplateVersion) map[string]any {
	id := region + "/" + aws.ToString(v.LaunchTemplateId) + " " + aws.ToString(v.LaunchTemplateName) + " v" + strconv.FormatInt(aws.ToInt64(v.VersionNumber), 10)
	m := map[string]any{"id": id, "public_ip": false, "imdsv2": false}
	if d := v.LaunchTemplateData; d != nil {
		for _, ni := range d.NetworkInterfaces {
			if aws.ToBool(ni.AssociatePublicIpAddress) {
				m["public_ip"] = true
			}
		}
		// Required session tokens, or no metadata service at all.
		m["imdsv2"] = d.MetadataOptions != nil && (d.MetadataOptions.HttpTokens == ec2types.LaunchTemplateHttpTokensStateRequired ||
			d.MetadataOptions.HttpEndpoint == ec2types.LaunchTemplateInstanceMetadataEndpointStateDisabled)
	}
	return m
}

// pinnedVersion is a launch template version an Auto Scaling group names
// by number.
type pinnedVersion struct{ id, name, version string }

// pinnedVersions lists the numbered launch template versions the region's
// Auto Scaling groups launch from (the group's template, its mixed
// instances policy's and their overrides'); $Default and $Latest are read
// anyway.
func pinnedVersions(ctx context.Context, cl *autoscaling.Client) ([]pinnedVersion, error) {
	seen := map[pinnedVersion]bool{}
	var out []pinnedVersion
	add := func(s *astypes.LaunchTemplateSpecification) {
		if s == nil {
			return
		}
		v := aws.ToString(s.Version)
		if v == "" || v == "$Default" || v == "$Latest" {
			return
		}
		p := pinnedVersion{aws.ToString(s.LaunchTemplateId), aws.ToString(s.LaunchTemplateName), v}
		if p.id != "" {
			p.name = ""
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	err := awsPages("autoscaling:DescribeAutoScalingGroups", func(tok *string) (*string, error) {
		page, err := cl.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, g := range page.AutoScalingGroups {
			add(g.LaunchTemplate)
			if m := g.MixedInstancesPolicy; m != nil && m.LaunchTemplate != nil {
				add(m.LaunchTemplate.LaunchTemplateSpecification)
				for _, o := range m.LaunchTemplate.Overrides {
					add(o.LaunchTemplateSpecification)
				}
			}
		}
		return page.NextToken, nil
	})
	return out, err
}

// awsLaunchConfigurations: every Auto Scaling launch configuration: {id:
// "REGION/NAME", public_ip, imdsv2}. Without metadata options a launch
// configuration's instances accept IMDSv1.
func awsLaunchConfigurations(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	var out []any
	client := autoscaling.NewFromConfig(cfg)
	err := awsPages("autoscaling:DescribeLaunchConfigurations in "+region, func(tok *string) (*string, error) {
		page, err := client.DescribeLaunchConfigurations(ctx, &autoscaling.DescribeLaunchConfigurationsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, lc := range page.LaunchConfigurations {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(lc.LaunchConfigurationName), "public_ip": aws.ToBool(lc.AssociatePublicIpAddress),
				"imdsv2": lc.MetadataOptions != nil && (lc.MetadataOptions.HttpTokens == astypes.InstanceMetadataHttpTokensStateRequired ||
					lc.MetadataOptions.HttpEndpoint == astypes.InstanceMetadataEndpointStateDisabled)})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("autoscaling:DescribeLaunchConfigurations in "+region, err)))
	}
	return out
}
