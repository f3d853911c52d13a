package lab

import (
	"crypto/sha256"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// umlXstateSource is an LD_PRELOAD library that lets UML 6.1 run on hosts with a large
// XSAVE area (AVX-512, AMX); see the comment at its top. Without it linux.uml panics at
// boot on such hosts ("ptrace set fp regs failed, errno = 14").
//
//go:embed shim/uml_xstate.c
var umlXstateSource []byte

// umlXstateShim returns the path of the compiled shim, building it with gcc once per
// source version into the user's cache directory (an atomic rename, so parallel test
// packages may race to build it).
func umlXstateShim() (string, error) {
	sum := sha256.Sum256(umlXstateSource)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "hostnet-lab")
	so := filepath.Join(dir, fmt.Sprintf("uml-xstate-%x.so", sum[:8]))
	if _, err := os.Stat(so); err == nil {
		return so, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lab: UML xstate shim: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("lab: UML xstate shim: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "uml_xstate.c")
	if err := os.WriteFile(src, umlXstateSource, 0o644); err != nil {
		return "", fmt.Errorf("lab: UML xstate shim: %w", err)
	}
	out := filepath.Join(tmp, "uml_xstate.so")
	if b, err := exec.Command("gcc", "-O2", "-shared", "-fPIC", "-o", out, src, "-ldl").CombinedOutput(); err != nil {
		return "", fmt.Errorf("lab: building the UML xstate shim (gcc, installed by scripts/setup): %v\n%s", err, b)
	}
	if err := os.Rename(out, so); err != nil {
		return "", fmt.Errorf("lab: UML xstate shim: %w", err)
	}
	return so, nil
}
