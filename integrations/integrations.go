// Package integrations connects Vigil to the systems a company runs and
// tests their controls on a schedule with the check engine. The pieces
// live beside it: integrations/kind (the Kind interface, the Registry and
// what the kinds share), integrations/service (the service that stores and
// runs integrations; it knows no kind and gets them from its caller) and
// one package per connected system. cmd/vigil lists the built-in kinds.
// This package keeps what the pages, the API and the CLI share about them.
package integrations

import (
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/integrations/service"
)

// Kind is one kind of integration (kind.Kind).
type Kind = kind.Kind

// Service manages integrations (service.Service).
type Service = service.Service
