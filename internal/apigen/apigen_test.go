package apigen

import (
	"bytes"
	"os"
	"testing"
)

// The client is generated, not edited: a route added or changed without
// regenerating fails here (run go generate ./client).
func TestClientIsCurrent(t *testing.T) {
	want, err := Client()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../client/ops.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("client/ops.go is not what the route table gives: run go generate ./client")
	}
}
