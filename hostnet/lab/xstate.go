package lab

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// xstateShimC is an LD_PRELOAD library for linux.uml on hosts whose XSAVE area is larger
// than the one UML 6.1 knows (AVX-512, AMX: an "Intel Xeon" with amx_tile measured 2026-12).
// UML saves a process's FPU state with PTRACE_GETREGSET NT_X86_XSTATE into an 832-byte
// buffer (x87, SSE, AVX) and gives it back with PTRACE_SETREGSET, which the host kernel
// refuses with EFAULT unless the buffer is the whole XSAVE area; the first context switch
// then kills init ("ptrace set fp regs failed, errno = 14", kernel panic). The shim reads
// the whole area, overlays UML's part and sets that. What lies beyond UML's part (AVX-512,
// AMX) is not kept per process; guestNoAVX512 keeps the lab's programs from using it.
//
//go:embed xstate_shim.c.in
var xstateShimC []byte

// guestNoAVX512 is the environment that keeps glibc and Go programs inside the lab off the
// AVX-512 registers, whose contents UML does not save on such hosts.
var guestNoAVX512 = []string{
	"GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF",
	"GODEBUG=cpu.avx512f=off",
}

// needsXstateShim reports whether this host's CPU has state components beyond AVX (the
// cpuinfo flags avx512f, amx_tile), which UML 6.1 cannot give back.
func needsXstateShim() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				if f == "avx512f" || f == "amx_tile" {
					return true
				}
			}
			return false
		}
	}
	return false
}

// buildXstateShim compiles the shim into dir with the host's C compiler (gcc, installed by
// scripts/setup) and returns its path.
func buildXstateShim(dir string) (string, error) {
	src, so := filepath.Join(dir, "xstate_shim.c"), filepath.Join(dir, "xstate_shim.so")
	if err := os.WriteFile(src, xstateShimC, 0o600); err != nil {
		return "", fmt.Errorf("lab: xstate shim: %w", err)
	}
	out, err := exec.Command("gcc", "-O2", "-shared", "-fPIC", "-o", so, src, "-ldl").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("lab: building the xstate shim for this CPU (AVX-512/AMX): %v: %s", err, out)
	}
	return so, nil
}
