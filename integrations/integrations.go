// Package integrations connects Vigil to the systems a company runs and
// tests their controls on a schedule with the check engine. It is the
// catalogue of the built-in kinds, listed explicitly in Kinds (no
// registration by init), with their descriptions for the pages and the
// CLI. The pieces live beside it: integrations/kind (the Kind interface
// and what the kinds share), integrations/service (the service that
// stores and runs integrations; it knows no kind and gets them from its
// caller) and one package per connected system.
package integrations

import (
	"github.com/vigil-soc/vigil/integrations/aws"
	"github.com/vigil-soc/vigil/integrations/github"
	"github.com/vigil-soc/vigil/integrations/idp"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/integrations/ldap"
	"github.com/vigil-soc/vigil/integrations/mysql"
	"github.com/vigil-soc/vigil/integrations/postgres"
	"github.com/vigil-soc/vigil/integrations/service"
	"github.com/vigil-soc/vigil/integrations/tlsprobe"
)

// Kind is one kind of integration (kind.Kind).
type Kind = kind.Kind

// Service manages integrations (service.Service).
type Service = service.Service

// Run and Artifact are a kind's run and its evidence documents.
type (
	Run      = kind.Run
	Artifact = kind.Artifact
)

// Kinds returns every kind this build knows, by name.
func Kinds() map[string]Kind {
	return map[string]Kind{"git": Git{}, "tls": tlsprobe.TLS{}, "postgres": postgres.Postgres{}, "ldap": ldap.LDAP{}, "github": github.GitHub{}, "aws": aws.AWS{}, "okta": idp.Okta{}, "google": idp.Google{}, "mysql": mysql.MySQL{}}
}
