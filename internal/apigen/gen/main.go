// Command gen writes the typed client: go generate ./client.
package main

import (
	"fmt"
	"os"

	"github.com/vigil-soc/vigil/internal/apigen"
)

func main() {
	src, err := apigen.Client()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apigen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("ops.go", src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "apigen:", err)
		os.Exit(1)
	}
}
