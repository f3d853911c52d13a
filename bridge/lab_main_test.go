//go:build lab

package bridge

import (
	"testing"

	"github.com/hostnet/hostnet/hostnet/lab"
)

// The lab tests need bonding and a kernel of their own.
func TestMain(m *testing.M) { lab.RunTestMain(m) }
