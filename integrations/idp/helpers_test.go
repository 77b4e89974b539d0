package idp

import (
	"testing"

	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/integrations/service"
)

var (
	ctx       = integrationtest.Ctx
	resultsOf = integrationtest.ResultsOf
)

// newService is the integrations service without kinds: a test adds its own.
func newService(t *testing.T) *service.Service {
	t.Helper()
	return integrationtest.NewService(t)
}
