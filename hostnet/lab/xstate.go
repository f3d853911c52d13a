package lab

import (
	"crypto/sha256"
	_ "embed" // the preload's source
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// xstateSource is a ptrace wrapper preloaded into linux.uml so that it runs on hosts
// whose XSAVE area is larger than UML 6.1's buffer (CPUs with AMX; see xstate.c.in's
// comment). It passes every other call through, so it is used on every host.
//
//go:embed xstate.c.in
var xstateSource []byte

// xstatePreload returns the path of the compiled wrapper, building it with cc on first
// use into the temp dir under a name that is the source's hash (so concurrent labs and
// later runs share it; written to a temp name and renamed, so none sees half a file).
func xstatePreload() (string, error) {
	sum := sha256.Sum256(xstateSource)
	so := filepath.Join(os.TempDir(), "hostnet-uml-xstate-"+hex.EncodeToString(sum[:8])+".so")
	if _, err := os.Stat(so); err == nil {
		return so, nil
	}
	dir, err := os.MkdirTemp("", "hostnet-uml-xstate-")
	if err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(dir)
	src, tmp := filepath.Join(dir, "xstate.c"), filepath.Join(dir, "xstate.so")
	if err := os.WriteFile(src, xstateSource, 0o644); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	out, err := exec.Command("cc", "-O2", "-shared", "-fPIC", "-o", tmp, src, "-ldl").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("lab: building the UML xstate preload (cc, from scripts/setup): %v\n%s", err, out)
	}
	if err := os.Rename(tmp, so); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	return so, nil
}
