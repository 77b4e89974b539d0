package checks

import (
	"fmt"
	"slices"
	"testing"

	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/check"
)

// knownCollectors is every collector a built-in check may name.
var knownCollectors = map[string]bool{
	"host.sshd": true, "host.sysctl": true, "host.accounts": true, "host.config": true,
	"host.pam": true, "host.files": true, "host.walk": true, "host.packages": true,
	"host.services": true, "host.mounts": true, "host.modules": true, "host.boot": true,
	"host.network": true, "host.mac": true, "host.crypt": true, "host.updates": true, "host.drift": true, "host.homes": true, "host.shell": true,
	"git.changes": true, "git.history": true, "tls.endpoints": true, "postgres.server": true, "ldap.directory": true, "github.org": true, "github.repos": true, "github.history": true, "aws.iam": true, "aws.s3": true, "aws.cloudtrail": true, "aws.ec2": true, "aws.kms": true, "aws.rds": true, "aws.guardduty": true, "aws.config": true, "aws.securityhub": true, "aws.sns": true, "aws.sqs": true, "aws.lambda": true, "aws.secretsmanager": true, "aws.efs": true, "aws.elb": true, "aws.acm": true, "aws.accessanalyzer": true, "aws.dynamodb": true, "aws.ecr": true, "aws.redshift": true, "aws.elasticache": true, "aws.opensearch": true, "aws.eks": true, "aws.apigateway": true, "aws.cloudfront": true, "aws.ecs": true, "aws.kinesis": true, "aws.autoscaling": true, "aws.codebuild": true, "aws.stepfunctions": true, "aws.sagemaker": true, "aws.waf": true, "aws.route53": true, "okta.directory": true, "google.directory": true, "mysql.server": true,
}

// TestBuiltinChecks loads every built-in check and runs its inline cases.
// TestLoadCompilesEveryCheck: Load defers compiling the built-in checks
// to their first use; every one of them compiles.
func TestLoadCompilesEveryCheck(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CompileAll(); err != nil {
		t.Fatal(err)
	}
	// Loaded to run, without their inline cases: every check is the same
	// as when loaded with them.
	full, err := LoadWithTests()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*check.Check{}
	for _, c := range full.Checks() {
		byID[c.ID] = c
	}
	if len(byID) != len(r.Checks()) {
		t.Fatalf("%d checks loaded to run, %d with their cases", len(r.Checks()), len(byID))
	}
	for _, c := range r.Checks() {
		f := byID[c.ID]
		a, b := *c, *f
		a.Tests, b.Tests = nil, nil
		if got, want := fmt.Sprintf("%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%d", a.ID, a.Version, a.Title, a.Severity, a.Rationale, a.Remediation, a.Collector,
			a.Interval, a.Params, a.Select+a.Assert+a.Reason+a.Applies, a.Controls, a.Criteria, a.References, a.Line),
			fmt.Sprintf("%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%v|%d", b.ID, b.Version, b.Title, b.Severity, b.Rationale, b.Remediation, b.Collector,
				b.Interval, b.Params, b.Select+b.Assert+b.Reason+b.Applies, b.Controls, b.Criteria, b.References, b.Line); got != want {
			t.Errorf("%s loads differently without its cases:\n%s\n%s", c.File, got, want)
		}
	}
}

func TestBuiltinChecks(t *testing.T) {
	r, err := check.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"linux", "integrations"} {
		if err := r.LoadFS(FS, dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range r.Checks() {
		if !knownCollectors[c.Collector] {
			t.Errorf("%s: unknown collector %q", c.File, c.Collector)
		}
		if len(c.Criteria) == 0 || len(c.Controls) == 0 {
			t.Errorf("%s: a built-in check maps to at least one control and one criterion", c.File)
		}
		if c.Rationale == "" || c.Remediation == "" {
			t.Errorf("%s: rationale and remediation are required for built-in checks", c.File)
		}
	}
	for _, f := range r.Test() {
		t.Errorf("%s / %s: %s", f.Check, f.Case, f.Detail)
	}
	t.Logf("%d built-in checks", len(r.Checks()))
}

// TestLinuxMappings holds the host checks to the mapping rule of
// docs/checks.md ("Mapping checks to controls") where it can be told
// mechanically: every control is a library control, and every criterion a
// check names is one of its controls' criteria (a check claims no criterion
// none of its controls covers).
func TestLinuxMappings(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := check.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadFS(FS, "linux"); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Checks() {
		var covered []string
		for _, id := range c.Controls {
			lc, ok := cat.LibraryControl(id)
			if !ok {
				t.Errorf("%s: control %s is not in the library", c.File, id)
				continue
			}
			covered = append(covered, lc.Criteria...)
		}
		for _, cr := range c.Criteria {
			if !slices.Contains(covered, cr) {
				t.Errorf("%s: criterion %s belongs to none of its controls %v", c.File, cr, c.Controls)
			}
		}
		// "Unique accounts; shared logins prohibited" is false only when two
		// logins share one identity or anyone can use one (no password): a
		// system account with a shell, a missing group or two groups
		// sharing a GID do not make it so.
		uniq := []string{"linux.accounts.duplicate-uids", "linux.accounts.duplicate-user-names",
			"linux.accounts.uid0-root-only", "linux.accounts.empty-password"}
		if slices.Contains(c.Controls, "AC-01") && !slices.Contains(uniq, c.ID) {
			t.Errorf("%s: AC-01 is for checks whose failure means a login is shared (%v)", c.File, uniq)
		}
	}
}
