package coexist

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hostnet/hostnet/hostnet/atomicfile"
)

// InterfacesFile is ifupdown's main file.
const InterfacesFile = "/etc/network/interfaces"

// Markers of the lines hostnet edits in ifupdown files: the original line is kept as a
// comment after disabledMark, and a line hostnet adds (the names of an `auto` line that
// are not the plan's) follows addedMark. Uninstall reverts both.
const (
	disabledMark = "#hostnet-disabled# "
	addedMark    = "#hostnet-added# the line below is the rest of the disabled line above"
)

// Bounds on what ifupdown's source directives may pull in.
const (
	maxIfupdownFiles = 256
	maxSourceDepth   = 8
)

// sourceDirName is the file names source-directory reads (interfaces(5)).
var sourceDirName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// ifLine is one logical line of an interfaces file.
type ifLine struct {
	File   string // path on the target system
	Line   int
	Fields []string
}

// ifupdownLines reads the interfaces file and what it sources, in order.
func ifupdownLines(root string) ([]ifLine, error) {
	var out []ifLine
	files := 0
	var read func(path string, depth int) error
	read = func(path string, depth int) error {
		if depth > maxSourceDepth {
			return fmt.Errorf("%s: source nested more than %d deep", path, maxSourceDepth)
		}
		if files++; files > maxIfupdownFiles {
			return fmt.Errorf("%s: more than %d files sourced", InterfacesFile, maxIfupdownFiles)
		}
		b, ok := readConfig(under(root, path))
		if !ok {
			return nil
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 64<<10), maxConfigFile)
		cont := ""
		start := 0
		for n := 1; sc.Scan(); n++ {
			l := sc.Text()
			if cont == "" {
				start = n
			}
			if strings.HasSuffix(l, "\\") {
				cont += strings.TrimSuffix(l, "\\") + " "
				continue
			}
			l, cont = cont+l, ""
			f := strings.Fields(l)
			if len(f) == 0 || strings.HasPrefix(f[0], "#") {
				continue
			}
			out = append(out, ifLine{File: path, Line: start, Fields: f})
			switch f[0] {
			case "source":
				for _, pat := range f[1:] {
					if !filepath.IsAbs(pat) {
						pat = filepath.Join(filepath.Dir(path), pat)
					}
					m, _ := filepath.Glob(under(root, pat))
					sort.Strings(m)
					for _, p := range m {
						if err := read(targetPath(root, p), depth+1); err != nil {
							return err
						}
					}
				}
			case "source-directory":
				for _, dir := range f[1:] {
					if !filepath.IsAbs(dir) {
						dir = filepath.Join(filepath.Dir(path), dir)
					}
					ents, _ := os.ReadDir(under(root, dir))
					for _, e := range ents {
						if sourceDirName.MatchString(e.Name()) {
							if err := read(filepath.Join(dir, e.Name()), depth+1); err != nil {
								return err
							}
						}
					}
				}
			}
		}
		return nil
	}
	err := read(InterfacesFile, 0)
	return out, err
}

// targetPath turns a path under root back into the target system's path.
func targetPath(root, p string) string {
	if root == "" || root == "/" {
		return p
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return "/" + rel
}

// autoLine reports whether f brings interfaces up by itself: auto, allow-auto,
// allow-hotplug, allow-<class>.
func autoLine(f []string) bool {
	return f[0] == "auto" || strings.HasPrefix(f[0], "allow-")
}

// portOptions are the iface options through which a stanza takes other interfaces.
var portOptions = map[string]bool{"bond-slaves": true, "slaves": true, "bond-master": true, "bridge_ports": true,
	"bridge-ports": true, "vlan-raw-device": true, "vlan_raw_device": true}

// DetectIfupdown finds the targets that ifupdown brings up at boot: named on an auto or
// allow-* line, or taken by an interface that is (as a bond slave, bridge port or VLAN
// raw device). An iface stanza without an auto line does nothing until someone runs
// ifup by hand, so it is not reported.
func DetectIfupdown(root string, targets []Iface) ([]Conflict, error) {
	lines, err := ifupdownLines(root)
	if err != nil {
		return nil, err
	}
	byName := map[string]bool{}
	for _, t := range targets {
		byName[t.Name] = true
	}
	auto := map[string]bool{}
	for _, l := range lines {
		if autoLine(l.Fields) {
			for _, n := range l.Fields[1:] {
				auto[n] = true
			}
		}
	}
	var out []Conflict
	for _, l := range lines {
		if autoLine(l.Fields) {
			for _, n := range l.Fields[1:] {
				if byName[n] {
					out = append(out, Conflict{Manager: Ifupdown, File: l.File, Line: l.Line, Iface: n,
						How: "\"" + strings.Join(l.Fields, " ") + "\": ifupdown brings it up at boot",
						Fix: "hostnet install comments " + n + " out of that line (hostnet uninstall puts it back); the iface stanza stays, unused.", Resolvable: true})
				}
			}
		}
	}
	cur := ""
	for _, l := range lines {
		switch {
		case l.Fields[0] == "iface" && len(l.Fields) > 1:
			cur = l.Fields[1]
		case autoLine(l.Fields) || l.Fields[0] == "mapping" || l.Fields[0] == "source" || l.Fields[0] == "source-directory":
			cur = ""
		case cur != "" && !byName[cur] && auto[cur] && portOptions[l.Fields[0]]:
			for _, n := range l.Fields[1:] {
				if byName[n] {
					out = append(out, Conflict{Manager: Ifupdown, File: l.File, Line: l.Line, Iface: n,
						How: fmt.Sprintf("%s (brought up at boot) takes it: %s", cur, strings.Join(l.Fields, " ")),
						Fix: "remove " + n + " from " + cur + "'s stanza, or " + cur + "'s auto line: hostnet owns " + n + "."})
				}
			}
		}
	}
	return out, nil
}

// disableAuto rewrites the auto/allow-* lines of the file at path (under root) that name
// targets: the line is kept as a comment, and the names that are not the plan's stay on a
// new line. It reports whether it changed the file.
func disableAuto(root, path string, byName map[string]bool) (bool, error) {
	full := under(root, path)
	b, ok := readConfig(full)
	if !ok {
		return false, nil
	}
	var out []string
	changed := false
	for _, l := range strings.SplitAfter(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !autoLine(f) {
			out = append(out, l)
			continue
		}
		var rest []string
		for _, n := range f[1:] {
			if !byName[n] {
				rest = append(rest, n)
			}
		}
		if len(rest) == len(f)-1 {
			out = append(out, l)
			continue
		}
		changed = true
		out = append(out, disabledMark+strings.TrimRight(l, "\n")+"\n")
		if len(rest) > 0 {
			out = append(out, addedMark+"\n", f[0]+" "+strings.Join(rest, " ")+"\n")
		}
	}
	if !changed {
		return false, nil
	}
	st, err := os.Stat(full)
	if err != nil {
		return false, err
	}
	return true, atomicfile.Write(full, []byte(strings.Join(out, "")), st.Mode().Perm())
}

// revertAuto undoes disableAuto in the file at path.
func revertAuto(root, path string) error {
	full := under(root, path)
	b, err := os.ReadFile(full)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(b), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.TrimRight(l, "\n") == addedMark:
			i++ // drop the added line too
		case strings.HasPrefix(l, disabledMark):
			out = append(out, strings.TrimPrefix(l, disabledMark))
		default:
			out = append(out, l)
		}
	}
	st, err := os.Stat(full)
	if err != nil {
		return err
	}
	return atomicfile.Write(full, []byte(strings.Join(out, "")), st.Mode().Perm())
}
