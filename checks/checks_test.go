package checks

import (
	"testing"

	"github.com/vigil-soc/vigil/check"
)

// knownCollectors is every collector a built-in check may name.
var knownCollectors = map[string]bool{
	"host.sshd": true, "host.sysctl": true, "host.accounts": true, "host.config": true,
	"host.pam": true, "host.files": true, "host.walk": true, "host.packages": true,
	"host.services": true, "host.mounts": true, "host.modules": true, "host.boot": true,
	"host.network": true, "host.mac": true, "host.crypt": true, "host.updates": true, "host.drift": true, "host.homes": true, "host.shell": true,
	"git.changes": true, "git.history": true, "tls.endpoints": true, "postgres.server": true, "ldap.directory": true, "github.org": true, "github.repos": true, "aws.iam": true, "aws.s3": true, "aws.cloudtrail": true, "aws.ec2": true, "aws.kms": true, "aws.rds": true, "aws.guardduty": true, "okta.directory": true, "google.directory": true, "mysql.server": true,
}

// TestBuiltinChecks loads every built-in check and runs its inline cases.
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
