package coexist

import (
	"errors"
	"os"
	"path/filepath"
	"sort"

	"github.com/hostnet/hostnet/hostnet/atomicfile"
)

// Resolution is what Resolve wrote: drop-in files (removed on revert) and files edited
// with markers (reverted).
type Resolution struct {
	DropIns []string `json:"drop_ins,omitempty"`
	Edited  []string `json:"edited,omitempty"`
}

// Resolve hands the targets to hostnet for every manager that has a conflict among
// conflicts: the networkd drop-ins (Unmanaged=yes by MAC and by name), the
// NetworkManager drop-in (unmanaged-devices), and no auto/allow-* line left for them in
// the ifupdown files. Conflicts it cannot resolve (a .netdev that creates a plan's link,
// a foreign stanza that takes a NIC) stay for the operator.
func Resolve(root string, targets []Iface, conflicts []Conflict) (*Resolution, error) {
	need := map[string]bool{}
	files := map[string]bool{}
	for _, c := range conflicts {
		if c.Resolvable {
			need[c.Manager] = true
			if c.Manager == Ifupdown {
				files[c.File] = true
			}
		}
	}
	r := &Resolution{}
	write := func(path, text string) error {
		full := under(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(full, []byte(text), 0o644); err != nil {
			return err
		}
		r.DropIns = append(r.DropIns, path)
		return nil
	}
	if need[Networkd] {
		d := networkdDropIns(targets)
		for _, p := range []string{NetworkdLinks, NetworkdNICs} {
			if text, ok := d[p]; ok {
				if err := write(p, text); err != nil {
					return r, err
				}
			}
		}
	}
	if need[NetworkManager] {
		if err := write(NMDropIn, nmDropIn(targets)); err != nil {
			return r, err
		}
	}
	byName := map[string]bool{}
	for _, t := range targets {
		byName[t.Name] = true
	}
	var edited []string
	for f := range files {
		edited = append(edited, f)
	}
	sort.Strings(edited)
	for _, f := range edited {
		ok, err := disableAuto(root, f, byName)
		if err != nil {
			return r, err
		}
		if ok {
			r.Edited = append(r.Edited, f)
		}
	}
	return r, nil
}

// Revert removes the drop-ins and reverts the edited files of a Resolution.
func Revert(root string, r Resolution) error {
	var errs []error
	for _, p := range r.DropIns {
		if err := os.Remove(under(root, p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, f := range r.Edited {
		errs = append(errs, revertAuto(root, f))
	}
	return errors.Join(errs...)
}
