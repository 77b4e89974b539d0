package gitrepo

import (
	"testing"

	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/integrations/service"
)

var (
	ctx      = integrationtest.Ctx
	verdicts = integrationtest.Verdicts
)

// newService is the integrations service with the git kind.
func newService(t *testing.T) *service.Service {
	t.Helper()
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, Git{})
	return s
}
