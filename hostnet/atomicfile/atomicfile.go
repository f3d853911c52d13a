// Package atomicfile replaces configuration files (systemd units, drop-ins, the installed
// plan, /etc/network/interfaces) so that a reader or a crash sees the old file or the new
// one, never half of it. State-directory files have stricter rules: see package safe.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes b to path with mode through a temporary file in the same directory (created
// if missing), synced, then renamed over path.
func Write(path string, b []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".hostnet-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(b); err == nil {
		if err = f.Chmod(mode); err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return err
		}
	} else {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
