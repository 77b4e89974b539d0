package aws

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/vigil-soc/vigil/checks"
)

// seedIAM plants, in moto, one violation of each IAM authorization check
// and the look-alikes a reading by names or by single statements would
// get wrong.
func seedIAM(t *testing.T) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		ic := iam.NewFromConfig(cfg)
		doc := func(stmts string) *string { return aws.String(`{"Version":"2012-10-17","Statement":[` + stmts + `]}`) }
		arn := map[string]string{}
		policy := func(name, stmts string) {
			out, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: doc(stmts)})
			if err != nil {
				t.Fatal(err)
			}
			arn[name] = aws.ToString(out.Policy.Arn)
		}
		// Named to mislead: the first grants everything, the second little.
		policy("ReadOnlyLookalike", `{"Effect":"Allow","Action":"*","Resource":"*"}`)
		policy("AdministratorAccessCustom", `{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`)
		policy("UnattachedAdmin", `{"Effect":"Allow","Action":"*:*","Resource":"*"}`)
		policy("AllButIAM", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)
		policy("IAMOnly", `{"Effect":"Allow","Action":"iam:*","Resource":"*"}`)
		// Decryption: with one named key; with every key of the account by
		// a wildcard ARN; by NotResource (every key but one); kms:* on
		// every key with Deny statements that take decryption away.
		policy("KeyNamed", `{"Effect":"Allow","Action":["kms:Decrypt","kms:ReEncryptFrom"],"Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}`)
		policy("KeyAccountWide", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:123456789012:key/*"}`)
		policy("KeyNotResource", `{"Effect":"Allow","Action":"kms:ReEncrypt*","NotResource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}`)
		policy("KeyAdminNoDecrypt", `{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":["kms:Decrypt","kms:ReEncryptFrom"],"Resource":"*"}`)

		must(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}))
		must(ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(arn["ReadOnlyLookalike"])}))
		must(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("half")}))
		must(ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("half"), PolicyArn: aws.String(arn["AllButIAM"])}))
		user := func(name string, groups ...string) {
			must(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
			for _, g := range groups {
				must(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(g)}))
			}
		}
		user("ann", "ops") // administrator through a group, nothing direct
		user("bob")        // a direct policy that, despite its name, is no admin
		must(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(arn["AdministratorAccessCustom"])}))
		user("carl") // inline *:* beside a guardrail Deny: still an administrator (CIS 1.16)
		must(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carl"), PolicyName: aws.String("almost"),
			PolicyDocument: doc(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:*","Resource":"*"}`)}))
		user("dana", "half") // all but IAM through a group, IAM directly: together everything
		must(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dana"), PolicyArn: aws.String(arn["IAMOnly"])}))
		user("erin", "half") // all but IAM: not an administrator
		user("fresh")        // a console password made today: not idle
		must(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("fresh"), Password: aws.String("Passw0rd!Passw0rd!")}))
		// A password policy that meets CIS 1.8, 1.9 and FSBP IAM.7.
		must(ic.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14), PasswordReusePrevention: aws.Int32(24),
			RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, RequireNumbers: true, RequireSymbols: true, MaxPasswordAge: aws.Int32(90)}))

		role := func(name, trust string) {
			must(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: doc(trust)}))
		}
		role("open", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)
		role("partner-no-org", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"secret-ish"}}}`)
		role("org-only", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`)
		role("ec2-app", `{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)
		role("support", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}`)
		must(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("support"), PolicyArn: aws.String(supportPolicyARN)}))
		must(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ec2-app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSCloudShellFullAccess")}))
		for _, name := range []string{"KeyNamed", "KeyAccountWide", "KeyNotResource", "KeyAdminNoDecrypt"} {
			must(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ec2-app"), PolicyArn: aws.String(arn[name])}))
		}
		// Inline: every key through one service (a condition does not make
		// it less than every key); one named key.
		must(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ec2-app"), PolicyName: aws.String("via-s3"),
			PolicyDocument: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`)}))
		must(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("support"), PolicyName: aws.String("one-key"),
			PolicyDocument: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}`)}))
		for name, notAfter := range map[string]time.Time{"expired": time.Now().Add(-48 * time.Hour), "valid": time.Now().Add(60 * 24 * time.Hour)} {
			cert, key := selfSigned(t, notAfter)
			must(ic.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String(name), CertificateBody: &cert, PrivateKey: &key}))
		}
	}
}

// selfSigned makes a PEM certificate and key that expire at notAfter.
func selfSigned(t *testing.T, notAfter time.Time) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "www.example.com"},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
}

// TestAWSIAMAuthorization: the checks built on the authorization details
// find exactly the planted violations, by evaluation.
func TestAWSIAMAuthorization(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedIAM(t))
	want := wantIAM()
	expect(t, got, why, want)
	if !strings.Contains(why["aws.iam-users-not-admin user/ann"], "ReadOnlyLookalike (group ops)") {
		t.Errorf("the reason does not say where the permission comes from: %q", why["aws.iam-users-not-admin user/ann"])
	}
	for k, v := range got {
		if strings.HasPrefix(k, "aws.iam-") && v == "error" && k != motoRootUse {
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
}

// TestAWSIAMDenied: when the authorization details are refused, every
// check built on them is an error, never a pass.
func TestAWSIAMDenied(t *testing.T) {
	in := map[string]any{"principals_error": "iam:GetAccountAuthorizationDetails: access denied", "principals": []any{}, "policies": []any{}, "roles": []any{}}
	for _, id := range []string{"aws.iam-policy-no-admin", "aws.iam-users-not-admin", "aws.iam-users-no-direct-policies", "aws.iam-role-trust-not-public",
		"aws.iam-support-role", "aws.iam-cloudshell-full-access"} {
		for res, v := range runCheck(t, id, in) {
			if v != "error" {
				t.Errorf("%s %s: %s, want error", id, res, v)
			}
		}
	}
}

// runCheck runs one built-in check on an input: verdict by resource.
func runCheck(t *testing.T, id string, in map[string]any) map[string]string {
	t.Helper()
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range reg.Checks() {
		if c.ID == id {
			for _, r := range c.Run(in, nil) {
				out[r.Resource] = string(r.Verdict)
			}
			return out
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

// wantIAM is what TestAWSIAMAuthorization wants of its seeded account.
func wantIAM() map[string]string {
	want := map[string]string{
		"aws.iam-policy-no-admin ReadOnlyLookalike":         "fail",
		"aws.iam-policy-no-admin AdministratorAccessCustom": "pass",
		"aws.iam-policy-no-admin UnattachedAdmin":           "not_applicable",
		"aws.iam-policy-no-admin AllButIAM":                 "pass",
		"aws.iam-policy-no-admin IAMOnly":                   "pass",
		"aws.iam-users-not-admin user/ann":                  "fail",
		"aws.iam-users-not-admin user/bob":                  "pass",
		"aws.iam-users-not-admin user/carl":                 "fail",
		"aws.iam-users-not-admin user/dana":                 "fail",
		"aws.iam-users-not-admin user/erin":                 "pass",
		"aws.iam-users-no-direct-policies user/ann":         "pass",
		"aws.iam-users-no-direct-policies user/bob":         "fail",
		"aws.iam-users-no-direct-policies user/carl":        "fail",
		"aws.iam-users-no-direct-policies user/erin":        "pass",
		"aws.iam-role-trust-not-public role/open":           "fail",
		"aws.iam-role-trust-not-public role/partner-no-org": "fail",
		"aws.iam-role-trust-not-public role/org-only":       "pass",
		"aws.iam-role-trust-not-public role/ec2-app":        "pass",
		"aws.iam-role-trust-not-public role/support":        "pass",
		"aws.iam-support-role support role":                 "pass",
		"aws.iam-cloudshell-full-access role/ec2-app":       "fail",
		"aws.iam-cloudshell-full-access role/support":       "pass",
		"aws.iam-server-certificates expired":               "fail",
		"aws.iam-credentials-unused fresh":                  "pass",
		"aws.password-length password policy":               "pass",
		"aws.password-reuse password policy":                "pass",
		"aws.password-complexity password policy":           "pass",
		// "*" on "*", and NotAction: decrypt with every key.
		"aws.iam-policy-no-kms-decrypt-all ReadOnlyLookalike":           "fail",
		"aws.iam-policy-no-kms-decrypt-all AllButIAM":                   "fail",
		"aws.iam-policy-no-kms-decrypt-all AdministratorAccessCustom":   "pass",
		"aws.iam-policy-no-kms-decrypt-all IAMOnly":                     "pass",
		"aws.iam-policy-no-kms-decrypt-all KeyNamed":                    "pass",
		"aws.iam-policy-no-kms-decrypt-all KeyAccountWide":              "fail",
		"aws.iam-policy-no-kms-decrypt-all KeyNotResource":              "fail",
		"aws.iam-policy-no-kms-decrypt-all KeyAdminNoDecrypt":           "pass",
		"aws.iam-policy-no-kms-decrypt-all UnattachedAdmin":             "not_applicable",
		"aws.iam-inline-no-kms-decrypt-all role/ec2-app inline via-s3":  "fail",
		"aws.iam-inline-no-kms-decrypt-all role/support inline one-key": "pass",
		"aws.iam-inline-no-kms-decrypt-all user/carl inline almost":     "fail",
		"aws.iam-policy-no-service-wildcards ReadOnlyLookalike":         "fail",
		"aws.iam-policy-no-service-wildcards AllButIAM":                 "fail",
		"aws.iam-policy-no-service-wildcards IAMOnly":                   "fail",
		"aws.iam-policy-no-service-wildcards KeyAdminNoDecrypt":         "fail",
		"aws.iam-policy-no-service-wildcards AdministratorAccessCustom": "pass",
		"aws.iam-policy-no-service-wildcards KeyNotResource":            "pass",
		"aws.iam-policy-no-service-wildcards UnattachedAdmin":           "not_applicable",
		"aws.iam-server-certificates valid":                             "pass",
		// AWS's credential report always has a <root_account> line;
		// moto's has none, and root use unknown is an error.
		"aws.iam-root-not-used root": "error",
	}
	return want
}
