package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hostnet/hostnet/hostnet/atomicfile"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// Bounds on what install copies: a plan is text written by people.
const (
	maxPlanFiles = 1024
	maxPlanBytes = 64 << 20
)

// Manifest records what install wrote (target paths), so that uninstall removes exactly
// that and nothing an operator added.
type Manifest struct {
	Installed time.Time `json:"installed"`
	Exec      string    `json:"exec"`
	StateDir  string    `json:"state_dir,omitempty"`
	VarFiles  []string  `json:"var_files,omitempty"` // target paths, in load order
	Units     []string  `json:"units"`
	Links     []string  `json:"links"`              // enablement symlinks
	DropIns   []string  `json:"drop_ins,omitempty"` // coexistence files hostnet wrote
	Edited    []string  `json:"edited,omitempty"`   // files hostnet edited with markers (ifupdown)
}

// Options of Install.
type Options struct {
	Layout   Layout
	Plan     string   // the plan: a file or a directory of *.hcl files
	VarFiles []string // variable files, copied next to the plan and passed by the units
	Exec     string   // absolute path of hostnet on the target system
	StateDir string   // "" = the default
	Watch    bool     // install and enable hostnet-watch.service (the plan bridges a bond)
	// DropIns and Edited are what the coexistence step wrote (see package coexist), kept
	// in the manifest for uninstall.
	DropIns, Edited []string
}

// Install writes the plan under PlanDir, the units, their enablement links and the
// manifest. Re-installing replaces the plan and the units. On the running system with
// systemd up it asks systemd to reload its units (it starts nothing).
func Install(o Options) (*Manifest, error) {
	l := o.Layout
	if !filepath.IsAbs(o.Exec) {
		return nil, fmt.Errorf("the path of hostnet for the units must be absolute, not %q", o.Exec)
	}
	if l.Live() {
		if st, err := os.Stat(o.Exec); err != nil || st.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("%s: not an executable hostnet (%v)", o.Exec, err)
		}
	}
	varTargets, err := copyPlan(l, o.Plan, o.VarFiles)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Installed: time.Now().UTC(), Exec: o.Exec, StateDir: o.StateDir, VarFiles: varTargets,
		DropIns: o.DropIns, Edited: o.Edited}
	if err := writeUnits(l, m, o.Watch); err != nil {
		return nil, err
	}
	if err := m.save(l); err != nil {
		return nil, err
	}
	reload(l)
	return m, nil
}

// writeUnits writes and enables the units for m and records them in m; units of an
// earlier install that m no longer has (watch) are removed.
func writeUnits(l Layout, m *Manifest, watch bool) error {
	uo := UnitOptions{Exec: m.Exec, VarFiles: m.VarFiles, StateDir: m.StateDir}
	boot, err := BootUnitText(uo)
	if err != nil {
		return err
	}
	units := map[string]string{BootUnit: boot}
	wants := map[string][]string{BootUnit: {"multi-user.target", "network-online.target"}}
	if watch {
		w, err := WatchUnitText(uo)
		if err != nil {
			return err
		}
		units[WatchUnit] = w
		wants[WatchUnit] = []string{"multi-user.target"}
	} else {
		removeUnit(l, WatchUnit, []string{"multi-user.target"})
	}
	m.Units, m.Links = nil, nil
	for _, name := range []string{BootUnit, WatchUnit} {
		text, ok := units[name]
		if !ok {
			continue
		}
		target := UnitDir + "/" + name
		if err := atomicfile.Write(l.Path(target), []byte(text), 0o644); err != nil {
			return err
		}
		m.Units = append(m.Units, target)
		for _, w := range wants[name] {
			link := UnitDir + "/" + w + ".wants/" + name
			p := l.Path(link)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			os.Remove(p)
			if err := os.Symlink(target, p); err != nil {
				return err
			}
			m.Links = append(m.Links, link)
		}
	}
	return nil
}

func removeUnit(l Layout, name string, wants []string) {
	for _, w := range wants {
		os.Remove(l.Path(UnitDir + "/" + w + ".wants/" + name))
	}
	os.Remove(l.Path(UnitDir + "/" + name))
}

// Installed reads the manifest; os.ErrNotExist when hostnet is not installed.
func Installed(l Layout) (*Manifest, error) {
	b, err := readBounded(l.Path(ManifestPath), 1<<20)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", l.Path(ManifestPath), err)
	}
	return &m, nil
}

func (m *Manifest) save(l Layout) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(l.Path(ManifestPath), append(b, '\n'), 0o600)
}

// Uninstall removes what the manifest lists: units, links, the plan, the manifest (and
// /etc/hostnet when nothing else is left in it). The caller reverts the coexistence
// files (m.DropIns, m.Edited) first. It changes nothing in the running network.
func Uninstall(l Layout) (*Manifest, error) {
	m, err := Installed(l)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("hostnet is not installed under %s (no %s)", rootName(l), ManifestPath)
	}
	if err != nil {
		return nil, err
	}
	for _, p := range append(slices.Clone(m.Links), m.Units...) {
		if err := os.Remove(l.Path(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return m, err
		}
	}
	if err := os.RemoveAll(l.Path(PlanDir)); err != nil {
		return m, err
	}
	if err := os.Remove(l.Path(ManifestPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, err
	}
	os.Remove(l.Path(ConfDir)) // only when empty
	reload(l)
	return m, nil
}

func rootName(l Layout) string {
	if l.Live() {
		return "/"
	}
	return l.Root
}

// reload asks a running systemd to re-read its units after they changed on the running
// system; it starts and stops nothing.
func reload(l Layout) {
	if !l.Live() {
		return
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return
	}
	exec.Command("systemctl", "daemon-reload").Run()
}

// copyPlan replaces PlanDir with the plan's files and the variable files (renamed to
// NN-name.vars.hcl so that they load in the given order and never as plan files), and
// returns the variable files' target paths. The new directory is built next to the old
// one and swapped in by rename, so a crash leaves one or the other.
func copyPlan(l Layout, src string, varFiles []string) ([]string, error) {
	files, err := planSources(src)
	if err != nil {
		return nil, err
	}
	dst := l.Path(PlanDir)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".plan.new-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	total := int64(0)
	copyOne := func(from, name string) error {
		b, err := readBounded(from, maxPlanBytes-total)
		if err != nil {
			return err
		}
		total += int64(len(b))
		return os.WriteFile(filepath.Join(tmp, name), b, 0o644)
	}
	for _, f := range files {
		if err := copyOne(f, filepath.Base(f)); err != nil {
			return nil, err
		}
	}
	var targets []string
	for i, f := range varFiles {
		name := fmt.Sprintf("%02d-%s", i+1, safeName(strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".hcl"), ".vars"))) + plan.VarFileSuffix
		if err := copyOne(f, name); err != nil {
			return nil, err
		}
		targets = append(targets, PlanDir+"/"+name)
	}
	old := dst + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Rename(old, dst)
		return nil, err
	}
	os.RemoveAll(old)
	return targets, nil
}

// planSources lists the plan's files as the plan loader reads them: the file itself, or
// a directory's *.hcl files (variable files too: they travel with the plan).
func planSources(src string) ([]string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{src}, nil
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(src, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no plan files (*.hcl)", src)
	}
	if len(out) > maxPlanFiles {
		return nil, fmt.Errorf("%s: %d files, more than the %d a plan may have", src, len(out), maxPlanFiles)
	}
	sort.Strings(out)
	return out, nil
}

// safeName keeps letters, digits, '.', '_' and '-' of a file name (units name the var
// files unquoted).
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "vars"
	}
	return string(b)
}

// readBounded reads a regular file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, nil
}
