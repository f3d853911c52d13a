package bench

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ifupdown2 3.0.0 is Python: its code lives in /usr/share/ifupdown2 (the `ifupdown2` entry
// point is __main__.py, which picks ifup/ifdown/... from argv[0]) and its configuration in
// /etc/network/ifupdown2. installIfupdown2 copies a `dpkg -x` of the package into the lab's
// throwaway root (the overlay: the host's files are not touched) and links the commands.
func (r *runner) installIfupdown2() error {
	src := r.cfg.Ifupdown2Root
	main := filepath.Join(src, "usr/share/ifupdown2/__main__.py")
	if _, err := os.Stat(main); err != nil {
		return fmt.Errorf("ifupdown2: %s is not a dpkg -x of the ifupdown2 package: %w", src, err)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		return fmt.Errorf("ifupdown2 needs /usr/bin/python3 (package python3): %w", err)
	}
	for _, d := range []string{"usr/share/ifupdown2", "etc/network/ifupdown2"} {
		if err := copyTree(filepath.Join(src, d), filepath.Join("/", d)); err != nil {
			return fmt.Errorf("ifupdown2: copying %s into the lab: %w", d, err)
		}
	}
	for _, d := range []string{"/run/network", "/etc/network/interfaces.d", "/var/tmp/network"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("ifupdown2: %w", err)
		}
	}
	bin := filepath.Join(r.dir, "ifupdown2-bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"ifup", "ifdown", "ifquery"} {
		if err := os.Symlink("/usr/share/ifupdown2/__main__.py", filepath.Join(bin, name)); err != nil {
			return err
		}
	}
	r.ifup = bin
	// A first call proves that it runs (imports, config) before anything is timed.
	f := filepath.Join(r.dir, "interfaces.check")
	if err := os.WriteFile(f, []byte(interfaces(1)), 0o644); err != nil {
		return err
	}
	if _, err := r.ifupdown2("ifquery", "-a", "-i", f); err != nil {
		r.ifup = ""
		return err
	}
	return nil
}

// ifupdown2 runs one of its commands with /usr/bin/python3 (the system's python, whatever
// PATH says) and its modules on PYTHONPATH; the PATH here is the system's, for the `ip` and
// `bridge` commands it runs.
func (r *runner) ifupdown2(name string, args ...string) (time.Duration, error) {
	// __main__.py is not executable in the package (0644): run it through python3. argv[0]
	// stays the link's name, from which ifupdown2 takes its mode.
	cmd := exec.Command("/usr/bin/python3", append([]string{filepath.Join(r.ifup, name)}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH=/usr/share/ifupdown2", "HOME=/root", "LANG=C.UTF-8"}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		msg := out.String()
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return d, fmt.Errorf("ifupdown2 %s %s: %v: %s", name, strings.Join(args, " "), err, msg)
	}
	return d, nil
}

func (r *runner) ifupdown2Runs(file string, nr *NResult) error {
	if err := r.settle(); err != nil {
		return err
	}
	d, err := r.ifupdown2("ifup", "-a", "-i", file)
	if err != nil {
		return err
	}
	nr.add(IfupFresh, d)
	if err := r.settle(); err != nil {
		return err
	}
	if d, err = r.ifupdown2("ifup", "-a", "-i", file); err != nil {
		return err
	}
	nr.add(IfupNoop, d)
	if err := r.settle(); err != nil {
		return err
	}
	if d, err = r.ifupdown2("ifdown", "-a", "-i", file); err != nil {
		return err
	}
	nr.add(Ifdown, d)
	return r.restored("ifdown -a", nr, true)
}

// copyTree copies files, directories and symlinks from src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(to)
			return os.Symlink(t, to)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, info.Mode().Perm())
		}
	})
}
