package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/vigil-soc/vigil/integrations/aws/policy"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// supportPolicyARN is the AWS managed policy CIS 1.17 asks a role to hold,
// so that incidents can be handled with AWS Support.
const supportPolicyARN = "arn:aws:iam::aws:policy/AWSSupportAccess"

// iamAuthorization is the account's authorization details: every user,
// group, role and managed policy with its documents, read in one paged
// call (iam:GetAccountAuthorizationDetails), and judged by evaluation
// (package policy), never by a policy's name.
type iamAuthorization struct {
	users    []iamtypes.UserDetail
	groups   map[string]iamtypes.GroupDetail
	roles    []iamtypes.RoleDetail
	policies map[string]iamtypes.ManagedPolicyDetail // by ARN
}

func readAuthorization(ctx context.Context, cl *iam.Client) (*iamAuthorization, error) {
	a := &iamAuthorization{groups: map[string]iamtypes.GroupDetail{}, policies: map[string]iamtypes.ManagedPolicyDetail{}}
	err := awsPages("iam:GetAccountAuthorizationDetails", func(tok *string) (*string, error) {
		out, err := cl.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Marker: tok, MaxItems: aws.Int32(1000)})
		if err != nil {
			return nil, err
		}
		a.users = append(a.users, out.UserDetailList...)
		a.roles = append(a.roles, out.RoleDetailList...)
		for _, g := range out.GroupDetailList {
			a.groups[aws.ToString(g.GroupName)] = g
		}
		for _, p := range out.Policies {
			a.policies[aws.ToString(p.Arn)] = p
		}
		if !out.IsTruncated {
			return nil, nil
		}
		return out.Marker, nil
	})
	return a, err
}

// managed returns an attached managed policy's default version, reading
// it with iam:GetPolicy and iam:GetPolicyVersion when the details did not
// carry it (AWS managed policies that are attached but not listed).
func (a *iamAuthorization) managed(ctx context.Context, cl *iam.Client, arn string) (*policy.Document, error) {
	if p, ok := a.policies[arn]; ok {
		for _, v := range p.PolicyVersionList {
			if v.IsDefaultVersion {
				return policy.Parse(aws.ToString(v.Document))
			}
		}
	}
	gp, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		return nil, fmt.Errorf("%s", describeAWS("iam:GetPolicy "+arn, err))
	}
	v, err := cl.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: gp.Policy.DefaultVersionId})
	if err != nil {
		return nil, fmt.Errorf("%s", describeAWS("iam:GetPolicyVersion "+arn, err))
	}
	d, err := policy.Parse(aws.ToString(v.PolicyVersion.Document))
	if err == nil {
		a.policies[arn] = iamtypes.ManagedPolicyDetail{Arn: &arn, PolicyName: gp.Policy.PolicyName,
			PolicyVersionList: []iamtypes.PolicyVersion{{Document: v.PolicyVersion.Document, IsDefaultVersion: true}}}
	}
	return d, err
}

// grants gathers the policies a principal holds: its inline policies, its
// attached managed policies and, for a user, those of each of its groups.
// Every way a principal receives a permission counts.
type grants struct {
	named    []policy.Named
	attached []any // the managed policies' ARNs, by every route
	boundary *policy.Named
	errs     []string
}

func (a *iamAuthorization) add(ctx context.Context, cl *iam.Client, g *grants, via string, inline []iamtypes.PolicyDetail, attached []iamtypes.AttachedPolicy) {
	for _, p := range inline {
		name := "inline " + aws.ToString(p.PolicyName) + via
		d, err := policy.Parse(aws.ToString(p.PolicyDocument))
		if err != nil {
			g.errs = append(g.errs, name+": "+err.Error())
			continue
		}
		g.named = append(g.named, policy.Named{Name: name, Doc: d})
	}
	for _, p := range attached {
		arn := aws.ToString(p.PolicyArn)
		g.attached = append(g.attached, arn)
		d, err := a.managed(ctx, cl, arn)
		if err != nil {
			g.errs = append(g.errs, arn+via+": "+err.Error())
			continue
		}
		g.named = append(g.named, policy.Named{Name: aws.ToString(p.PolicyName) + via, Doc: d})
	}
}

func (a *iamAuthorization) setBoundary(ctx context.Context, cl *iam.Client, g *grants, b *iamtypes.AttachedPermissionsBoundary) {
	if b == nil || b.PermissionsBoundaryArn == nil {
		return
	}
	arn := aws.ToString(b.PermissionsBoundaryArn)
	d, err := a.managed(ctx, cl, arn)
	if err != nil {
		g.errs = append(g.errs, "permissions boundary "+arn+": "+err.Error())
		return
	}
	g.boundary = &policy.Named{Name: "boundary " + arn, Doc: d}
}

// admin judges a principal: full administrator when its policies grant
// every action on every resource and its permissions boundary (which caps
// them) does too.
func (g *grants) admin() (bool, string) {
	ok, why := policy.Administrator(g.named)
	if ok && g.boundary != nil {
		if b, _ := policy.Administrator([]policy.Named{*g.boundary}); !b {
			return false, ""
		}
	}
	return ok, why
}

// iamPrincipals judges every user, role and group: the resources of the
// IAM checks that need the authorization details. account is the
// account's id, for telling external principals in trust policies.
func iamPrincipals(ctx context.Context, cl *iam.Client, account string, regions []string) map[string]any {
	a, err := readAuthorization(ctx, cl)
	if err != nil {
		msg := describeAWS("iam:GetAccountAuthorizationDetails", err)
		return map[string]any{"principals_error": msg, "principals": []any{}, "policies": []any{}, "roles": []any{}, "inline_policies": []any{}}
	}
	var principals, roles []any
	supportRoles := []any{}
	for _, u := range a.users {
		g := &grants{}
		name := aws.ToString(u.UserName)
		a.add(ctx, cl, g, "", u.UserPolicyList, u.AttachedManagedPolicies)
		for _, gn := range u.GroupList {
			grp, ok := a.groups[gn]
			if !ok {
				g.errs = append(g.errs, "group "+gn+" is not in the authorization details")
				continue
			}
			a.add(ctx, cl, g, " (group "+gn+")", grp.GroupPolicyList, grp.AttachedManagedPolicies)
		}
		a.setBoundary(ctx, cl, g, u.PermissionsBoundary)
		direct := []any{}
		for _, p := range u.UserPolicyList {
			direct = append(direct, "inline "+aws.ToString(p.PolicyName))
		}
		for _, p := range u.AttachedManagedPolicies {
			direct = append(direct, aws.ToString(p.PolicyName))
		}
		principals = append(principals, principal("user/"+name, "user", g, map[string]any{"direct_policies": direct, "groups": kind.ToAny(u.GroupList)}))
	}
	for _, r := range a.roles {
		g := &grants{}
		name := aws.ToString(r.RoleName)
		a.add(ctx, cl, g, "", r.RolePolicyList, r.AttachedManagedPolicies)
		a.setBoundary(ctx, cl, g, r.PermissionsBoundary)
		serviceLinked := strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/")
		principals = append(principals, principal("role/"+name, "role", g, map[string]any{"service_linked": serviceLinked}))
		role := map[string]any{"id": "role/" + name, "service_linked": serviceLinked}
		if trust, err := policy.Parse(aws.ToString(r.AssumeRolePolicyDocument)); err != nil {
			role["error"] = "the trust policy of role " + name + " cannot be read: " + err.Error()
		} else {
			role["trust_public"] = kind.ToAny(policy.Public(trust, "sts"))
			role["trust_external"] = kind.ToAny(policy.External(trust, account))
		}
		roles = append(roles, role)
		for _, p := range r.AttachedManagedPolicies {
			if aws.ToString(p.PolicyArn) == supportPolicyARN {
				supportRoles = append(supportRoles, "role/"+name)
			}
		}
	}
	for _, grp := range a.groups {
		g := &grants{}
		a.add(ctx, cl, g, "", grp.GroupPolicyList, grp.AttachedManagedPolicies)
		principals = append(principals, principal("group/"+aws.ToString(grp.GroupName), "group", g, nil))
	}
	var policies []any
	for arn, p := range a.policies {
		if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
			continue // AWS managed: judged where attached, not as the account's own
		}
		name := aws.ToString(p.PolicyName)
		if name == "" {
			// AWS always names the policy; moto 5 leaves PolicyName out of
			// the details. The ARN ends with the name.
			name = arn[strings.LastIndex(arn, "/")+1:]
		}
		m := map[string]any{"id": name, "arn": arn, "attachments": int(aws.ToInt32(p.AttachmentCount))}
		var d *policy.Document
		var perr error
		for _, v := range p.PolicyVersionList {
			if v.IsDefaultVersion {
				d, perr = policy.Parse(aws.ToString(v.Document))
			}
		}
		switch {
		case perr != nil:
			m["error"] = "the default version of " + arn + " cannot be read: " + perr.Error()
		case d == nil:
			m["error"] = "the details carry no default version of " + arn
		default:
			named := policy.Named{Name: name, Doc: d}
			m["admin"], m["admin_reason"] = policy.Administrator([]policy.Named{named})
			m["decrypts_any_key"], m["decrypt_reason"] = policy.DecryptsAnyKey(named, account, regions)
			m["service_wildcards"] = kind.ToAny(policy.ServiceWildcards(named))
		}
		policies = append(policies, m)
	}
	return map[string]any{"principals": sortByID(principals), "policies": sortByID(policies), "roles": sortByID(roles),
		"support_roles": supportRoles, "inline_policies": inlinePolicies(a, account, regions)}
}

// inlinePolicies judges every inline policy of every user, group and role
// on its own (AWS FSBP KMS.2): {id: "user/NAME inline POLICY",
// decrypts_any_key, decrypt_reason}.
func inlinePolicies(a *iamAuthorization, account string, regions []string) []any {
	out := []any{}
	judge := func(owner string, list []iamtypes.PolicyDetail) {
		for _, p := range list {
			id := owner + " inline " + aws.ToString(p.PolicyName)
			d, err := policy.Parse(aws.ToString(p.PolicyDocument))
			if err != nil {
				out = append(out, awsError(id, "the inline policy "+id+" cannot be read: "+err.Error()))
				continue
			}
			m := map[string]any{"id": id}
			m["decrypts_any_key"], m["decrypt_reason"] = policy.DecryptsAnyKey(policy.Named{Name: id, Doc: d}, account, regions)
			out = append(out, m)
		}
	}
	for _, u := range a.users {
		judge("user/"+aws.ToString(u.UserName), u.UserPolicyList)
	}
	for _, r := range a.roles {
		judge("role/"+aws.ToString(r.RoleName), r.RolePolicyList)
	}
	for name, g := range a.groups {
		judge("group/"+name, g.GroupPolicyList)
	}
	return sortByID(out)
}

func principal(id, typ string, g *grants, extra map[string]any) map[string]any {
	m := map[string]any{"id": id, "type": typ, "attached": kind.NonNil(g.attached)}
	for k, v := range extra {
		m[k] = v
	}
	if len(g.errs) > 0 {
		sort.Strings(g.errs)
		m["error"] = "the policies of " + id + " cannot all be read: " + strings.Join(g.errs, "; ")
		return m
	}
	m["admin"], m["admin_reason"] = g.admin()
	return m
}
