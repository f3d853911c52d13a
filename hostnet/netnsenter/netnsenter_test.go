package netnsenter

import (
	"strings"
	"testing"
)

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		name, want, err string
	}{
		{"hv1", "/run/netns/hv1", ""},
		{"/proc/123/ns/net", "/proc/123/ns/net", ""},
		{"/run/netns/../netns/x", "/run/netns/x", ""},
		{"", "", "want a name"},
		{"..", "", "want a name"},
		{"a/b", "", "want a name"},
		{"nul\x00", "", "want a name"},
		{strings.Repeat("n", 256), "", "want a name"},
	} {
		got, err := Path(tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Path(%q) = %q, %v; want error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Path(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// A process started without EnvPath runs where it was started.
func TestEnteredWithoutEnv(t *testing.T) {
	if p, err := Entered(); p != "" || err != nil {
		t.Fatalf("Entered() = %q, %v outside any --netns run", p, err)
	}
}
