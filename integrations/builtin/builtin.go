// Package builtin lists the integration kinds this build offers. It is the
// one list, explicit (no registration by init): cmd/vigil hands it to the
// integrations service and the pages; tests take it to see every kind.
package builtin

import (
	"github.com/vigil-soc/vigil/integrations/aws"
	"github.com/vigil-soc/vigil/integrations/bamboohr"
	"github.com/vigil-soc/vigil/integrations/github"
	"github.com/vigil-soc/vigil/integrations/gitrepo"
	"github.com/vigil-soc/vigil/integrations/idp"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/integrations/ldap"
	"github.com/vigil-soc/vigil/integrations/mysql"
	"github.com/vigil-soc/vigil/integrations/postgres"
	"github.com/vigil-soc/vigil/integrations/tlsprobe"
)

// Kinds is every integration kind this build offers, in the order
// the form lists them: the one place kinds are registered (no init).
func Kinds() kind.Registry {
	return kind.Registry{
		gitrepo.Git{},
		github.GitHub{},
		aws.AWS{},
		ldap.LDAP{},
		idp.Okta{},
		idp.Google{},
		bamboohr.BambooHR{},
		tlsprobe.TLS{},
		postgres.Postgres{},
		mysql.MySQL{},
	}
}
