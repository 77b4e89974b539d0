// Package integrations connects Vigil to the systems a company runs and
// tests their controls on a schedule with the check engine. This package
// is the catalogue of the built-in kinds, each listed once with its
// description (builtin; no registration by init), for serve, the pages and
// the CLI. The pieces live beside it: integrations/kind (the Kind interface
// and what the kinds share), integrations/service (the service that
// stores and runs integrations; it knows no kind and gets them from its
// caller) and one package per connected system.
package integrations

import (
	"github.com/vigil-soc/vigil/integrations/aws"
	"github.com/vigil-soc/vigil/integrations/github"
	"github.com/vigil-soc/vigil/integrations/gitrepo"
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

// builtin is every kind this build knows with its description, in the
// order the form lists them: the one place kinds are registered.
var builtin = []struct {
	kind Kind
	info kind.Info
}{
	{gitrepo.Git{}, gitrepo.Info},
	{github.GitHub{}, github.Info},
	{aws.AWS{}, aws.Info},
	{ldap.LDAP{}, ldap.Info},
	{idp.Okta{}, idp.OktaInfo},
	{idp.Google{}, idp.GoogleInfo},
	{tlsprobe.TLS{}, tlsprobe.Info},
	{postgres.Postgres{}, postgres.Info},
	{mysql.MySQL{}, mysql.Info},
}

// Kinds returns every kind this build knows, by name.
func Kinds() map[string]Kind {
	out := make(map[string]Kind, len(builtin))
	for _, b := range builtin {
		out[b.kind.Name()] = b.kind
	}
	return out
}
