package nsexec

import (
	"errors"
	"testing"

	vnetns "github.com/vishvananda/netns"
)

// A closed handle runs fn in place and passes its error through; switching into another
// namespace is exercised by every lab test that builds a topology.
func TestDoCurrentNamespace(t *testing.T) {
	want := errors.New("from fn")
	ran := false
	if err := Do(vnetns.None(), func() error { ran = true; return want }); err != want || !ran {
		t.Fatalf("Do = %v, ran %v", err, ran)
	}
}
