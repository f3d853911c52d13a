package coexist

import (
	"bufio"
	"bytes"
	"os"
	"strings"
)

// maxConfigFile bounds every configuration file coexist reads.
const maxConfigFile = 1 << 20

// entry is one key of an INI-style file (systemd units, NetworkManager keyfiles).
type entry struct {
	Section, Key, Value string
	Line                int
}

// parseINI reads the "[Section]" / "Key=Value" files of systemd and NetworkManager;
// comments start with '#' or ';'. Keys keep their case; values are trimmed.
func parseINI(b []byte) []entry {
	var out []entry
	sec := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), maxConfigFile)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || l[0] == '#' || l[0] == ';':
		case l[0] == '[' && strings.HasSuffix(l, "]"):
			sec = l[1 : len(l)-1]
		default:
			k, v, ok := strings.Cut(l, "=")
			if ok {
				out = append(out, entry{Section: sec, Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Line: n})
			}
		}
	}
	return out
}

// readConfig reads a configuration file: nil, false for a missing, masked (a link to
// /dev/null, or empty) or oversized one.
func readConfig(path string) ([]byte, bool) {
	if t, err := os.Readlink(path); err == nil && t == "/dev/null" {
		return nil, false
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 || st.Size() > maxConfigFile {
		return nil, false
	}
	b, err := os.ReadFile(path)
	return b, err == nil
}
