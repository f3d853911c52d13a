// Package lab runs a command inside a throwaway real Linux kernel: user-mode
// Linux (Debian's user-mode-linux package) booted with the host's / as a
// read-only root, an overlay on tmpfs over it, and the bonding, 8021q, bridge,
// veth, dummy and ipv6 modules loaded. The machine's own kernel lacks bonding
// and 802.1q, and its network must never be touched; inside the lab both
// problems go away.
//
// lab owns the lifecycle of a run: the per-run temp dirs, the generated init
// (init.sh, a constant), the UML process group, the job's streamed output and
// its exit code. It knows nothing about networks; see lab/topo for that.
//
// How data travels: each run gets a host temp dir (the "share") that the init
// mounts read-write inside through a second hostfs mount. The Go side writes
// argv, env, dir and module list there as NUL-separated files; the job's
// stdout/stderr go to files there that the host tails while it runs; the init
// writes the exit code there before halting. The kernel console goes to
// console.log in the share and is only shown when the lab itself fails.
package lab

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvInside is set to "1" in the job's environment; Inside reports it.
const EnvInside = "HOSTNET_IN_LAB"

// labInitPath is where the lab's init runs from inside (the share's mount point): the
// command line of PID 1 inside a lab, and of no process on the host.
const labInitPath = "/run/hostnet-lab/init.sh"

// Paths of Debian's user-mode-linux package.
const (
	UMLBinary  = "/usr/bin/linux.uml"
	ModulesDir = "/usr/lib/uml/modules"
)

// DefaultModules are loaded when Options.Modules is nil, each only if the
// UML kernel has it.
var DefaultModules = []string{"bonding", "8021q", "bridge", "veth", "dummy", "ipv6"}

//go:embed init.sh
var initScript []byte

// Options for one lab run.
type Options struct {
	Mem     string            // UML memory, default "512M"
	Timeout time.Duration     // default 5m; on expiry the whole UML process group is killed and Run returns an error
	Env     map[string]string // extra environment for the job (names must be shell identifiers)
	Dir     string            // job's working directory inside (default: caller's cwd); host paths are visible through the overlay
	Stdout  io.Writer         // job's stdout, streamed while it runs; nil = discard
	Stderr  io.Writer         // job's stderr, streamed while it runs; nil = discard
	Modules []string          // nil = DefaultModules that exist; an explicit name that does not exist is an error
	// Writable host directories, mounted read-write inside at the same
	// path (everything else is a throwaway overlay). RunTestMain uses it
	// for go test's output files (test log, profiles).
	Writable []string
}

// Result of a job that ran to completion inside the lab.
type Result struct {
	ExitCode int           // the job's exit status; 128+N if killed by signal N
	Duration time.Duration // wall time of the whole run: boot, job, halt
}

// Inside reports whether this process runs inside a lab. Everything that changes the
// network (topo, the demo, the benchmark, labvirt) asks it first, so it does not trust the
// environment variable alone: PID 1 must also be the lab's own init, which runs only as
// the init of a user-mode Linux kernel booted by Run. On the host, PID 1 is the machine's
// init, so setting HOSTNET_IN_LAB=1 there changes nothing.
func Inside() bool {
	if os.Getenv(EnvInside) != "1" {
		return false
	}
	cmdline, err := os.ReadFile("/proc/1/cmdline")
	return err == nil && bytes.Contains(cmdline, []byte(labInitPath))
}

const installHint = "install it with: apt-get install user-mode-linux kmod"

// Available returns nil if a lab can boot here, else an error that says what
// to install.
func Available() error {
	if st, err := os.Stat(UMLBinary); err != nil || st.Mode()&0o111 == 0 {
		return fmt.Errorf("lab: %s missing (user-mode Linux); %s", UMLBinary, installHint)
	}
	if _, err := kernelModulesDir(); err != nil {
		return err
	}
	// The init runs the host's own tools (the lab's root is the host's /).
	for _, p := range []string{"modprobe", "bash", "chroot", "mount", "cp", "ip"} {
		if _, err := exec.LookPath(p); err != nil {
			if _, err := os.Stat("/usr/sbin/" + p); err != nil {
				return fmt.Errorf("lab: %s missing; %s iproute2", p, installHint)
			}
		}
	}
	return nil
}

// kernelModulesDir is /usr/lib/uml/modules/<version> of the installed kernel.
func kernelModulesDir() (string, error) {
	dirs, _ := filepath.Glob(filepath.Join(ModulesDir, "*", "modules.dep"))
	if len(dirs) == 0 {
		return "", fmt.Errorf("lab: no %s/<version>/modules.dep; %s", ModulesDir, installHint)
	}
	sort.Strings(dirs)
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

// availableModules lists the module names the UML kernel can load or has built in.
func availableModules() (map[string]bool, error) {
	dir, err := kernelModulesDir()
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, f := range []string{"modules.dep", "modules.builtin"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && f == "modules.dep" {
			return nil, fmt.Errorf("lab: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			path, _, _ := strings.Cut(line, ":")
			name := strings.TrimSuffix(filepath.Base(path), ".ko")
			if i := strings.Index(name, ".ko"); i >= 0 { // compressed: .ko.xz
				name = name[:i]
			}
			have[strings.ReplaceAll(name, "-", "_")] = true
		}
	}
	return have, nil
}

func resolveModules(want []string) ([]string, error) {
	have, err := availableModules()
	if err != nil {
		return nil, err
	}
	explicit := want != nil
	if !explicit {
		want = DefaultModules
	}
	var out []string
	for _, m := range want {
		if have[strings.ReplaceAll(m, "-", "_")] {
			out = append(out, m)
		} else if explicit {
			return nil, fmt.Errorf("lab: module %q not in the UML kernel's modules", m)
		}
	}
	return out, nil
}

// Host paths that go onto the kernel command line (init=), into hostfs
// mount options and fstabs, where spaces and commas would break parsing.
var safePath = regexp.MustCompile(`^/[A-Za-z0-9_./-]+$`)
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Run boots a lab, runs argv as root inside it, halts it and returns the
// job's exit code. The error is non-nil only when the lab itself failed
// (cannot boot, kernel panic, init failure, timeout, ctx cancelled); it then
// carries the tail of the kernel console.
func Run(ctx context.Context, opts Options, argv []string) (Result, error) {
	start := time.Now()
	if len(argv) == 0 {
		return Result{}, errors.New("lab: empty argv")
	}
	if err := Available(); err != nil {
		return Result{}, err
	}
	if opts.Mem == "" {
		opts.Mem = "512M"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return Result{}, fmt.Errorf("lab: %w", err)
		}
		opts.Dir = wd
	}
	mods, err := resolveModules(opts.Modules)
	if err != nil {
		return Result{}, err
	}
	env, err := jobEnv(opts.Env)
	if err != nil {
		return Result{}, err
	}
	for _, d := range opts.Writable {
		if !safePath.MatchString(d) || filepath.Clean(d) != d {
			return Result{}, fmt.Errorf("lab: writable dir %q: want a clean absolute path of [A-Za-z0-9_./-]", d)
		}
	}

	// Per-run dirs (see writeShare); the memory file goes to a tmpfs dir so
	// guest RAM is not backed by disk.
	base, err := os.MkdirTemp("", "hostnet-lab-")
	if err != nil {
		return Result{}, fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(base)
	if base, err = filepath.EvalSymlinks(base); err != nil {
		return Result{}, fmt.Errorf("lab: %w", err)
	}
	if !safePath.MatchString(base) {
		return Result{}, fmt.Errorf("lab: temp dir %q has characters hostfs/cmdline cannot take; set TMPDIR", base)
	}
	share, umlDir := filepath.Join(base, "share"), filepath.Join(base, "uml")
	memDir, err := os.MkdirTemp("/dev/shm", "hostnet-lab-mem-")
	if err != nil {
		memDir = filepath.Join(base, "mem")
		err = os.Mkdir(memDir, 0o700)
	}
	if err != nil {
		return Result{}, fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(memDir)
	if err := writeShare(base, opts, argv, env, mods); err != nil {
		return Result{}, err
	}
	console, err := os.Create(filepath.Join(share, "console.log"))
	if err != nil {
		return Result{}, fmt.Errorf("lab: %w", err)
	}
	defer console.Close()

	shim, err := umlXstateShim()
	if err != nil {
		return Result{}, err
	}
	umid := filepath.Base(base)
	cmd := exec.Command(UMLBinary,
		"mem="+opts.Mem, "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro",
		"umid="+umid, "uml_dir="+umlDir,
		"con=null", "con0=null,fd:1", "quiet",
		"init="+filepath.Join(share, "init.sh"))
	cmd.Env = append(os.Environ(), "TMPDIR="+memDir, "LD_PRELOAD="+shim)
	cmd.Stdout, cmd.Stderr = console, console // stdin: /dev/null
	// Own process group: linux.uml forks helpers that SIGKILL of the main
	// pid would orphan; we kill -pgid instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	stopTail := make(chan struct{})
	var tails sync.WaitGroup
	for _, t := range []struct {
		name string
		w    io.Writer
	}{{"stdout", opts.Stdout}, {"stderr", opts.Stderr}} {
		if t.w == nil {
			continue
		}
		tails.Add(1)
		go func() {
			defer tails.Done()
			tail(filepath.Join(share, t.name), t.w, stopTail)
		}()
	}

	if err := cmd.Start(); err != nil {
		close(stopTail)
		tails.Wait()
		return Result{}, fmt.Errorf("lab: start %s: %w", UMLBinary, err)
	}
	pgid := cmd.Process.Pid
	if testHookStarted != nil {
		testHookStarted(ctx, pgid, base, memDir)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	timer := time.NewTimer(opts.Timeout)
	defer timer.Stop()
	var labErr error
	select {
	case err = <-waitErr:
	case <-timer.C:
		labErr = fmt.Errorf("lab: timed out after %v", opts.Timeout)
	case <-ctx.Done():
		labErr = fmt.Errorf("lab: %w", ctx.Err())
	}
	if labErr != nil {
		syscall.Kill(-pgid, syscall.SIGKILL)
		err = <-waitErr
	}
	killGroup(pgid)
	close(stopTail)
	tails.Wait()

	res := Result{Duration: time.Since(start)}
	if labErr != nil {
		return res, withConsole(labErr, share)
	}
	if b, e := os.ReadFile(filepath.Join(share, "error")); e == nil {
		return res, withConsole(fmt.Errorf("lab: init failed: %s", strings.TrimSpace(string(b))), share)
	}
	b, e := os.ReadFile(filepath.Join(share, "exit"))
	if e != nil {
		if err == nil {
			err = errors.New("halted without reporting the job's exit status")
		}
		return res, withConsole(fmt.Errorf("lab: linux.uml: %w (134 means init died: kernel panic)", err), share)
	}
	res.ExitCode, e = strconv.Atoi(strings.TrimSpace(string(b)))
	if e != nil {
		return res, withConsole(fmt.Errorf("lab: bad exit status %q", b), share)
	}
	return res, nil
}

// testHookStarted lets tests find a run's processes and temp dirs.
var testHookStarted func(ctx context.Context, pgid int, base, memDir string)

// writeShare lays out a run's directory:
//
//	base/share/   mounted read-write inside at /run/hostnet-lab
//	  init.sh     the init (constant)
//	  argv env dir modules   NUL-separated, read with mapfile
//	  fstab.boot fstab       mount tables for `mount -a -T` (one process
//	                         for many mounts; X-mount.mkdir makes mountpoints)
//	  skel/       copied over the new root: /dev/fd, /dev/std*, /run/netns
//	  stdout stderr console.log exit error   written while it runs
//	base/mnt/     empty; phase 1 mounts its tmpfs here (the host's / is ro)
//	base/uml/     uml_dir
func writeShare(base string, opts Options, argv, env, mods []string) error {
	share, mnt := filepath.Join(base, "share"), filepath.Join(base, "mnt")
	root := filepath.Join(mnt, "root")
	boot := fmt.Sprintf("hostnet-lab %s tmpfs mode=0755 0 0\n", mnt) +
		fmt.Sprintf("%s %s/m/lib/modules none bind,X-mount.mkdir 0 0\n", ModulesDir, mnt)
	fstab := fmt.Sprintf("hostnet-lab %s overlay lowerdir=/,upperdir=%s/upper,workdir=%s/work 0 0\n", root, mnt, mnt)
	for _, m := range [][3]string{
		{"proc", "/proc", "proc defaults"},
		{"sysfs", "/sys", "sysfs defaults"},
		{"devtmpfs", "/dev", "devtmpfs defaults"},
		{"devpts", "/dev/pts", "devpts newinstance,ptmxmode=0666,X-mount.mkdir"},
		{"tmpfs", "/dev/shm", "tmpfs mode=1777,X-mount.mkdir"},
		// A fresh /run: nothing of the host's daemons. /tmp stays the
		// host's (through the overlay): test binaries and callers' working
		// dirs live there.
		{"tmpfs", "/run", "tmpfs mode=0755"},
		{"hostnet-lab", filepath.Dir(labInitPath), "hostfs " + share + ",X-mount.mkdir"},
		// modprobe looks in /lib/modules; /lib may be a link to usr/lib.
		{ModulesDir, "/lib/modules", "none bind,X-mount.mkdir"},
	} {
		fstab += fmt.Sprintf("%s %s%s %s 0 0\n", m[0], root, m[1], m[2])
	}
	for _, d := range opts.Writable {
		fstab += fmt.Sprintf("hostnet-lab %s%s hostfs %s 0 0\n", root, d, d)
	}
	for _, d := range []string{share, mnt, filepath.Join(base, "uml"),
		filepath.Join(share, "skel/dev"), filepath.Join(share, "skel/run/netns"), filepath.Join(share, "skel/run/lock")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, filepath.Join(share, "skel/dev", name)); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	for name, b := range map[string][]byte{
		"init.sh":    initScript,
		"argv":       nulJoin(argv),
		"env":        nulJoin(env),
		"dir":        nulJoin([]string{opts.Dir}),
		"modules":    nulJoin(mods),
		"fstab.boot": []byte(boot),
		"fstab":      []byte(fstab),
		"stdout":     nil,
		"stderr":     nil,
	} {
		if err := os.WriteFile(filepath.Join(share, name), b, 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
}

// jobEnv is the job's whole environment: the lab marker, PATH (with the sbin
// dirs root expects), HOME=/root, then extra.
func jobEnv(extra map[string]string) ([]string, error) {
	path := os.Getenv("PATH")
	for _, d := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"} {
		if !strings.Contains(":"+path+":", ":"+d+":") {
			path += ":" + d
		}
	}
	env := []string{EnvInside + "=1", "PATH=" + strings.TrimPrefix(path, ":"), "HOME=/root"}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !envName.MatchString(k) {
			return nil, fmt.Errorf("lab: env name %q is not a shell identifier", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env, nil
}

func nulJoin(ss []string) []byte {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes()
}

// tail copies path to w as it grows (hostfs writes reach the host file at
// once), polling every 50ms, and drains it once more when stop closes.
func tail(path string, w io.Writer, stop <-chan struct{}) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, _ := f.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
			continue
		}
		select {
		case <-stop:
			io.CopyBuffer(w, f, buf)
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// killGroup SIGKILLs what is left of the run's process group and waits (up
// to 5s) until it is gone, so no linux.uml outlives Run.
func killGroup(pgid int) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, syscall.SIGKILL) == syscall.ESRCH {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withConsole appends the tail of the kernel console to err.
func withConsole(err error, share string) error {
	b, _ := os.ReadFile(filepath.Join(share, "console.log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return fmt.Errorf("%w\n--- lab console (tail) ---\n%s", err, bytes.TrimSpace(b))
}

// RunTestMain is for TestMain in packages whose tests need the real kernel:
//
//	func TestMain(m *testing.M) { lab.RunTestMain(m) }
//
// Inside a lab it runs the tests. Outside it re-executes the test binary with
// all its flags inside a lab, streaming its output, and exits with its code.
// When no lab can boot here it fails (exit 1) rather than skip: CI must run
// these tests.
func RunTestMain(m *testing.M) { RunTestMainThen(m, nil) }

// RunTestMainThen is RunTestMain with a function run on the host after the lab exits
// (removing what the test binary prepared outside the lab for the run inside).
func RunTestMainThen(m *testing.M, after func()) {
	if Inside() {
		os.Exit(m.Run())
	}
	exit := func(code int) {
		if after != nil {
			after()
		}
		os.Exit(code)
	}
	if err := Available(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: these tests need the hostnet lab: %v\n", err)
		exit(1)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: lab: %v\n", err)
		exit(1)
	}
	// Outlive the test binary's own -test.timeout so its panic report (which
	// names the stuck test) gets out before the lab is killed.
	timeout := 5 * time.Minute
	flag.Parse()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > 0 {
			timeout = d + time.Minute
		}
	}
	res, err := Run(context.Background(), Options{
		Timeout: timeout, Stdout: os.Stdout, Stderr: os.Stderr, Writable: testOutputDirs(),
	}, append([]string{exe}, os.Args[1:]...))
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		exit(1)
	}
	exit(res.ExitCode)
}

// testOutputDirs are the host dirs where go test expects the test binary's
// files: the test log (go test's cache needs it), profiles, coverage.
func testOutputDirs() []string {
	wd, _ := os.Getwd()
	out := wd
	if f := flag.Lookup("test.outputdir"); f != nil && f.Value.String() != "" {
		out = f.Value.String()
	}
	seen := map[string]bool{}
	var dirs []string
	add := func(dir string) {
		if dir != "" && !seen[dir] && safePath.MatchString(dir) {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	for _, name := range []string{"testlogfile", "coverprofile", "cpuprofile", "memprofile", "blockprofile", "mutexprofile", "trace"} {
		f := flag.Lookup("test." + name)
		if f == nil || f.Value.String() == "" {
			continue
		}
		p := f.Value.String()
		if !filepath.IsAbs(p) {
			p = filepath.Join(out, p)
		}
		add(filepath.Dir(p))
	}
	if f := flag.Lookup("test.gocoverdir"); f != nil {
		add(f.Value.String())
	}
	add(os.Getenv("GOCOVERDIR"))
	return dirs
}
