package live

import (
	"slices"
	"testing"
)

func TestDiffNormalized(t *testing.T) {
	tests := []struct {
		a, b, want []string
	}{
		{nil, nil, nil},
		{[]string{"x", "y"}, []string{"y", "x"}, nil},
		{[]string{"x", "y"}, []string{"y", "z"}, []string{"- x", "+ z"}},
		{[]string{"x"}, nil, []string{"- x"}},
	}
	for _, tt := range tests {
		if got := DiffNormalized(tt.a, tt.b); !slices.Equal(got, tt.want) {
			t.Errorf("DiffNormalized(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
