package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "f.conf")
	for _, tc := range []struct {
		text string
		mode os.FileMode
	}{{"one\n", 0o644}, {"two\n", 0o600}} {
		if err := Write(path, []byte(tc.text), tc.mode); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		st, _ := os.Stat(path)
		if err != nil || string(b) != tc.text || st.Mode().Perm() != tc.mode {
			t.Fatalf("after Write(%q, %o): %q %v %v", tc.text, tc.mode, b, st.Mode(), err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}
