// Package checks holds Vigil's built-in checks as YAML files, embedded in
// the binary. docs/checks.md describes the format and each collector's input.
package checks

import "embed"

// FS holds the built-in checks; Linux host checks are under linux/.
//
//go:embed linux/*.yaml
var FS embed.FS
