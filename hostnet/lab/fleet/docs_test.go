package fleet

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The collection's modules compile and their documentation is what ansible-doc (from
// ansible-core, installed by scripts/setup) parses: the options an operator reads there
// are the ones the modules take.
func TestCollectionDocs(t *testing.T) {
	repoAnsible, err := filepath.Abs("../../../ansible")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "ansible_collections", "hostnet")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(repoAnsible, filepath.Join(root, "hostnet")); err != nil {
		t.Fatal(err)
	}
	sources, _ := filepath.Glob(filepath.Join(repoAnsible, "plugins", "*", "*.py"))
	if len(sources) < 3 {
		t.Fatalf("want the plan and status_info modules and the module_utils, found %v", sources)
	}
	for _, src := range sources {
		// Compiled to a temporary file: py_compile's default would write __pycache__ into the repo.
		compile := "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)"
		cfile := filepath.Join(t.TempDir(), filepath.Base(src)+"c")
		if out, err := exec.Command("python3", "-c", compile, src, cfile).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", src, err, out)
		}
	}
	for module, options := range map[string][]string{
		"hostnet.hostnet.plan":        {"confirm_within", "probes", "netns", "libvirt_uri", "state", "content", "vars"},
		"hostnet.hostnet.status_info": {"path", "netns", "degraded_bonds"},
	} {
		cmd := exec.Command("ansible-doc", "-t", "module", module)
		cmd.Env = append(os.Environ(), "ANSIBLE_COLLECTIONS_PATH="+filepath.Dir(filepath.Dir(root)), "ANSIBLE_NOCOLOR=1", "PYTHONDONTWRITEBYTECODE=1",
			"ANSIBLE_LOCAL_TEMP="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("ansible-doc %s: %v\n%s", module, err, out)
			continue
		}
		for _, o := range options {
			if !strings.Contains(string(out), o) {
				t.Errorf("ansible-doc %s does not document %s:\n%s", module, o, out)
			}
		}
	}
}
