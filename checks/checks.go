// Package checks holds Vigil's built-in checks as YAML files, embedded in
// the binary. docs/checks.md describes the format and each collector's input.
package checks

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-soc/vigil/check"
)

// FS holds the built-in checks; Linux host checks are under linux/.
//
//go:embed linux/*.yaml integrations/*.yaml
var FS embed.FS

// Load returns a registry of the built-in checks and the organization's
// own from dirs (every *.yaml file in them), to run. A custom check may not
// reuse a built-in ID: tailoring changes built-in checks, so that their
// history stays theirs. The built-in checks are loaded without their
// inline cases and compiled at first use: parsing the cases and compiling
// every check was most of a server's start (1.3 s of 1.65 s for 523
// checks); TestBuiltinChecks and TestLoadCompilesEveryCheck keep both
// honest.
func Load(dirs ...string) (*check.Registry, error) {
	r, err := load(true, dirs)
	if err != nil {
		return nil, err
	}
	// The custom checks' cases were checked for shape at load; scans do
	// not run them, and their fixtures are most of the memory.
	r.DropTests()
	return r, nil
}

// LoadWithTests is Load keeping the inline test cases, every check
// compiled at load, for Registry.Test.
func LoadWithTests(dirs ...string) (*check.Registry, error) {
	return load(false, dirs)
}

func load(toRun bool, dirs []string) (*check.Registry, error) {
	r, err := check.NewRegistry()
	if err != nil {
		return nil, err
	}
	for _, dir := range []string{"linux", "integrations"} {
		load := r.LoadFS
		if toRun {
			load = r.LoadFSDeferred
		}
		if err := load(FS, dir); err != nil {
			return nil, err
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("custom checks: %w", err)
		}
		if err := r.LoadFS(os.DirFS(d), "."); err != nil {
			return nil, prefixLoadError(d, err)
		}
	}
	return r, nil
}

// prefixLoadError makes a custom check's file name a path the user can open.
func prefixLoadError(dir string, err error) error {
	var le *check.LoadError
	if errors.As(err, &le) {
		le.File = filepath.Join(dir, le.File)
		return le
	}
	return err
}
