package live

import (
	"math"
	"testing"
)

func TestSeqIndex(t *testing.T) {
	for _, c := range []struct {
		seq, first uint32
		n          int
		i          int
		ok         bool
	}{
		{100, 100, 3, 0, true},
		{102, 100, 3, 2, true},
		{103, 100, 3, 0, false},
		{99, 100, 3, 0, false},
		// a batch that wraps past 2^32: first+n overflows
		{math.MaxUint32 - 1, math.MaxUint32 - 1, 5, 0, true},
		{math.MaxUint32, math.MaxUint32 - 1, 5, 1, true},
		{0, math.MaxUint32 - 1, 5, 2, true},
		{2, math.MaxUint32 - 1, 5, 4, true},
		{3, math.MaxUint32 - 1, 5, 0, false},
		{math.MaxUint32 - 2, math.MaxUint32 - 1, 5, 0, false},
		{0, 0, 0, 0, false},
	} {
		i, ok := seqIndex(c.seq, c.first, c.n)
		if i != c.i || ok != c.ok {
			t.Errorf("seqIndex(%d, %d, %d) = %d, %v; want %d, %v", c.seq, c.first, c.n, i, ok, c.i, c.ok)
		}
	}
}
