package safe

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
)

// The state directory is trusted: root restores the snapshot in it and runs the probes of
// the pending record in it. So it must be a real directory (no symlink) owned by the user
// hostnet runs as (root) that no one else can write, and every file in it is opened without
// following symlinks and must be a regular file of that user that no one else can read or
// write (hostnet writes them 0600). Anything else is refused with an error saying why.

// MarkKeyFile holds the secret that signs ownership marks (see live.MarkFor): 32 random
// bytes, mode 0600, created by the first command that needs it.
const MarkKeyFile = "mark.key"

// UntrustedError is a state directory or file another user could have written.
type UntrustedError struct {
	Path, Why string
}

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("refusing the state file %s: %s (hostnet only trusts what it wrote in a directory only its user can write)", e.Path, e.Why)
}

// checkDir verifies that dir is a directory, not a symlink, owned by this user, and not
// writable by group or others.
func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &UntrustedError{dir, "it is a symbolic link"}
	}
	if !fi.IsDir() {
		return &UntrustedError{dir, "it is not a directory"}
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Geteuid() {
		return &UntrustedError{dir, fmt.Sprintf("it is owned by uid %d, not by uid %d that runs hostnet", st.Uid, os.Geteuid())}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &UntrustedError{dir, fmt.Sprintf("it is writable by others (mode %o)", fi.Mode().Perm())}
	}
	return nil
}

// ensureDir creates the state directory (0700) when missing and checks it (checkDir).
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	return checkDir(dir)
}

// checkFile verifies an open state file: regular, owned by this user, mode 0600 or less.
func checkFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &UntrustedError{f.Name(), "it is not a regular file"}
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Geteuid() {
		return &UntrustedError{f.Name(), fmt.Sprintf("it is owned by uid %d, not by uid %d that runs hostnet", st.Uid, os.Geteuid())}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &UntrustedError{f.Name(), fmt.Sprintf("others may read or write it (mode %o; hostnet writes 0600)", fi.Mode().Perm())}
	}
	return nil
}

// openState opens a file of the state directory without following a symlink (ELOOP is
// reported as untrusted) and checks it (checkFile). flag is os.O_RDONLY, os.O_RDWR, ...
func openState(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, &UntrustedError{path, "it is a symbolic link"}
	}
	if err != nil {
		return nil, err
	}
	if err := checkFile(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// maxStateFile bounds what is read from a state file (a snapshot of 4094 VLANs with their
// bridges is about 10 MiB).
const maxStateFile = 256 << 20

// readState reads a trusted state file (openState); os.ErrNotExist when it is missing.
func readState(path string) ([]byte, error) {
	f, err := openState(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err == nil && len(b) > maxStateFile {
		err = fmt.Errorf("%s: larger than %d bytes", path, maxStateFile)
	}
	return b, err
}

// UseMarkKey loads the ownership-mark key of state directory dir (creating the directory
// and the key when missing) and makes live.MarkFor and live.ParseMark use it.
func UseMarkKey(dir string) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, MarkKeyFile)
	b, err := readState(path)
	if errors.Is(err, os.ErrNotExist) {
		if werr := createKey(path); werr != nil {
			return fmt.Errorf("ownership key: %w", werr)
		}
		b, err = readState(path)
	}
	if err != nil {
		return fmt.Errorf("ownership key: %w", err)
	}
	if len(b) < 16 {
		return fmt.Errorf("ownership key %s: %d bytes, want 32 (remove it only if no link hostnet created exists)", path, len(b))
	}
	live.SetMarkKey(b)
	return nil
}

// createKey writes a new random key to path; O_EXCL: of two first runs at once, one writes
// the key and both read it.
func createKey(path string) error {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = f.Write(k)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteStateFile writes a file of another package (the boot record of hostnet/install) into
// state directory dir under the rules of hostnet's own: a trusted directory, mode 0600,
// written atomically.
func WriteStateFile(dir, name string, b []byte) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, name), b)
}
