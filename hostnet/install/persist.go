package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hostnet/hostnet/hostnet/atomicfile"
)

// StagedDir, in the state directory, holds a plan applied with --confirm-within on an
// installed host until `hostnet confirm`: only then does it replace the plan under
// PlanDir. The state directory is on tmpfs, so a reboot before the confirmation boots
// the previous plan: the reboot is itself a rollback.
const StagedDir = "staged-plan"

// staged is StagedDir's index: which pending confirmation it belongs to and the order of
// its variable files (kept in StagedDir/vars).
type staged struct {
	PendingID string   `json:"pending_id"`
	VarFiles  []string `json:"var_files,omitempty"`
}

// Persist makes planPath (with varFiles) the installed plan: PlanDir is replaced and the
// units rewritten for the new variable files. It does nothing when planPath is PlanDir
// itself.
func Persist(l Layout, planPath string, varFiles []string) error {
	m, err := Installed(l)
	if err != nil {
		return err
	}
	if same(planPath, l.Path(PlanDir)) {
		return nil
	}
	if m.VarFiles, err = copyPlan(l, planPath, varFiles); err != nil {
		return err
	}
	if err := writeUnits(l, m, slices.Contains(m.Units, UnitDir+"/"+WatchUnit)); err != nil {
		return err
	}
	m.Installed = time.Now().UTC()
	if err := m.save(l); err != nil {
		return err
	}
	reload(l)
	return nil
}

func same(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return false
	}
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// Stage keeps a copy of planPath and varFiles in the state directory for the pending
// confirmation id (see StagedDir).
func Stage(stateDir, id, planPath string, varFiles []string) error {
	dir := filepath.Join(stateDir, StagedDir)
	os.RemoveAll(dir)
	files, err := planSources(planPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "vars"), 0o700); err != nil {
		return err
	}
	st := staged{PendingID: id}
	copyTo := func(from, to string) error {
		b, err := readBounded(from, maxPlanBytes)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	}
	for _, f := range files {
		if err := copyTo(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			return err
		}
	}
	for i, f := range varFiles {
		name := fmt.Sprintf("%02d-%s", i+1, safeName(filepath.Base(f)))
		if err := copyTo(f, filepath.Join(dir, "vars", name)); err != nil {
			return err
		}
		st.VarFiles = append(st.VarFiles, name)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "index.json"), b, 0o600)
}

// CommitStaged persists the plan staged for the confirmation id, if any, and removes
// the stage. It reports whether a plan was persisted.
func CommitStaged(l Layout, stateDir, id string) (bool, error) {
	dir := filepath.Join(stateDir, StagedDir)
	b, err := readBounded(filepath.Join(dir, "index.json"), 1<<20)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	var st staged
	if err := json.Unmarshal(b, &st); err != nil {
		return false, err
	}
	if st.PendingID != id {
		return false, nil
	}
	var vars []string
	for _, v := range st.VarFiles {
		vars = append(vars, filepath.Join(dir, "vars", v))
	}
	if err := Persist(l, dir, vars); err != nil {
		return false, err
	}
	return true, nil
}
