//go:build lab

package lab

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every test here boots a real lab on the host. They run in parallel,
// which also covers "two labs at once".

type hookKey struct{}

func init() {
	testHookStarted = func(ctx context.Context, pgid int, base, mem string) {
		if f, ok := ctx.Value(hookKey{}).(func(int, string, string)); ok {
			f(pgid, base, mem)
		}
	}
}

func requireLab(t *testing.T) {
	t.Helper()
	// Never skip: CI must boot the lab.
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	t.Parallel()
}

// run boots a lab and, once Run returned, checks that the run left no
// process and no temp dir behind.
func run(t *testing.T, ctx context.Context, opts Options, argv ...string) (Result, error) {
	t.Helper()
	var pgid int
	var dirs []string
	ctx = context.WithValue(ctx, hookKey{}, func(p int, base, mem string) {
		pgid, dirs = p, []string{base, mem}
	})
	res, err := Run(ctx, opts, argv)
	if pgid == 0 {
		t.Fatalf("lab did not start: %v", err)
	}
	if pids := groupMembers(pgid); len(pids) > 0 {
		t.Errorf("processes of the run's group %d still alive: %v", pgid, pids)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s left behind", d)
		}
	}
	t.Logf("%q: exit %d in %v (err: %v)", argv, res.ExitCode, res.Duration.Round(time.Millisecond), err)
	return res, err
}

// groupMembers lists the pids whose process group is pgid.
func groupMembers(pgid int) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestExitCodes(t *testing.T) {
	for code, script := range map[int]string{0: "exit 0", 3: "exit 3", 137: "kill -9 $$"} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			requireLab(t)
			res, err := run(t, context.Background(), Options{}, "/bin/sh", "-c", script)
			if err != nil || res.ExitCode != code {
				t.Fatalf("got %+v, %v; want exit %d", res, err, code)
			}
		})
	}
}

// TestArgvEnvDir: argv, env and dir arrive byte for byte (they travel in
// NUL-separated files, never through a shell or the kernel command line).
func TestArgvEnvDir(t *testing.T) {
	requireLab(t)
	dir := t.TempDir()
	weird := "it's \"quoted\" $(echo no) `no` \\ ; \n newline * é"
	var out, errb bytes.Buffer
	res, err := run(t, context.Background(), Options{
		Env:    map[string]string{"WEIRD": weird},
		Dir:    dir,
		Stdout: &out, Stderr: &errb,
	}, "/bin/sh", "-c", `printf '%s|' "$@" "$WEIRD" "$HOSTNET_IN_LAB" "$HOME" "$(pwd)" "$(hostname)"; echo oops >&2`, "sh", "a b", weird, "")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v, %v; stderr: %s", res, err, errb.String())
	}
	want := strings.Join([]string{"a b", weird, "", weird, "1", "/root", dir, "lab"}, "|") + "|"
	if out.String() != want {
		t.Errorf("stdout:\n got %q\nwant %q", out.String(), want)
	}
	if errb.String() != "oops\n" {
		t.Errorf("stderr: %q", errb.String())
	}
}

// timedWriter records when each write arrived.
type timedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	at  map[string]time.Time
}

func (w *timedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, line := range strings.Fields(w.buf.String()) {
		if _, ok := w.at[line]; !ok {
			w.at[line] = time.Now()
		}
	}
	return len(p), nil
}

// TestStreaming: output reaches the writer while the job still runs.
func TestStreaming(t *testing.T) {
	requireLab(t)
	w := &timedWriter{at: map[string]time.Time{}}
	res, err := run(t, context.Background(), Options{Stdout: w, Stderr: io.Discard},
		"/bin/sh", "-c", "echo first; sleep 2; echo second")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	first, second := w.at["first"], w.at["second"]
	if first.IsZero() || second.IsZero() {
		t.Fatalf("output %q", w.buf.String())
	}
	if d := second.Sub(first); d < time.Second {
		t.Errorf("first line arrived only %v before the second: not streamed", d)
	}
}

// TestTimeoutAndCancel: both kill the whole process group and say why.
func TestTimeoutAndCancel(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		requireLab(t)
		_, err := run(t, context.Background(), Options{Timeout: 8 * time.Second}, "/bin/sleep", "600")
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("want a timeout error, got %v", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		requireLab(t)
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		_, err := run(t, ctx, Options{}, "/bin/sleep", "600")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
	})
}

// TestHostUntouched: writes inside land in the overlay, not on the host.
func TestHostUntouched(t *testing.T) {
	requireLab(t)
	f := "/etc/hostnet-lab-test-" + strconv.Itoa(os.Getpid())
	res, err := run(t, context.Background(), Options{}, "/bin/sh", "-c", `echo x >"$1" && test -s "$1"`, "sh", f)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
		os.Remove(f)
		t.Fatalf("%s written inside the lab appeared on the host (stat: %v)", f, err)
	}
}

// TestModules: the default modules are loaded before the job, and modprobe
// works inside for the rest.
func TestModules(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		requireLab(t)
		res, err := run(t, context.Background(), Options{}, "/bin/sh", "-c",
			"for m in bonding 8021q bridge veth dummy; do test -d /sys/module/$m || { echo $m missing; exit 1; }; done")
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	t.Run("modprobe", func(t *testing.T) {
		requireLab(t)
		var out bytes.Buffer
		res, err := run(t, context.Background(), Options{Modules: []string{}, Stdout: &out, Stderr: &out},
			"/bin/sh", "-c", "! test -d /sys/module/bonding && modprobe bonding && test -d /sys/module/bonding")
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%+v, %v: %s", res, err, out.String())
		}
	})
}

// TestInitFailure: a failure of the lab (here: the job's dir does not exist)
// is an error, not an exit code.
func TestInitFailure(t *testing.T) {
	requireLab(t)
	_, err := run(t, context.Background(), Options{Dir: "/nonexistent/hostnet-lab"}, "/bin/true")
	if err == nil || !strings.Contains(err.Error(), "cannot cd") {
		t.Fatalf("want an init error, got %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]Options{
		"unknown module": {Modules: []string{"no_such_module"}},
		"bad env name":   {Env: map[string]string{"A-B": "x"}},
	} {
		if _, err := Run(context.Background(), opts, []string{"/bin/true"}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Run(context.Background(), Options{}, nil); err == nil {
		t.Error("empty argv: no error")
	}
}

// BenchmarkBoot measures the lab's fixed cost: boot, a trivial job, power
// off, with and without the default modules.
func BenchmarkBoot(b *testing.B) {
	for _, bc := range []struct {
		name string
		mods []string
	}{{"default-modules", nil}, {"no-modules", []string{}}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), Options{Modules: bc.mods}, []string{"/bin/true"})
				if err != nil || res.ExitCode != 0 {
					b.Fatalf("%+v, %v", res, err)
				}
			}
		})
	}
}

// The environment variable alone does not make the host a lab: nothing that changes the
// network may run here because of it.
func TestInsideNeedsTheLabKernel(t *testing.T) {
	t.Setenv(EnvInside, "1")
	if Inside() {
		t.Fatal("Inside() is true on the host with only HOSTNET_IN_LAB=1 set")
	}
}

// envInsideProbe makes this test binary, run inside a lab by TestInsideInTheLab, only
// report Inside() through its exit code.
const envInsideProbe = "HOSTNET_TEST_INSIDE_PROBE"

func init() {
	if os.Getenv(envInsideProbe) == "1" {
		if Inside() {
			os.Exit(0)
		}
		os.Exit(3)
	}
}

// Inside the lab both hold.
func TestInsideInTheLab(t *testing.T) {
	requireLab(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(t, context.Background(), Options{Env: map[string]string{envInsideProbe: "1"}}, self)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Inside() inside the lab: exit %d (3 = false), %v", res.ExitCode, err)
	}
}
