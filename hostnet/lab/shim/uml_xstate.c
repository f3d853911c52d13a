/*
 * LD_PRELOAD shim for linux.uml (Debian 12 ships UML 6.1): it lets UML run on hosts whose
 * XSAVE area is larger than the 832 bytes UML 6.1 knows (AVX-512, AMX: 2.7 KiB to 11 KiB).
 *
 * UML saves and restores the FP state of its processes with PTRACE_GETREGSET and
 * PTRACE_SETREGSET (NT_X86_XSTATE) in an 832-byte buffer. The host kernel lets GETREGSET
 * copy a prefix, but refuses a SETREGSET that is not exactly its full XSAVE size (EFAULT),
 * and UML panics at its first context switch ("ptrace set fp regs failed, errno = 14").
 * This shim turns such a short SETREGSET into: read the task's full state, overlay the
 * bytes UML gave (x87/SSE, the XSAVE header, AVX), write the full state back. The state
 * UML does not know (AVX-512, AMX tiles) stays as the task has it, which is what UML 6.1
 * does on a host where the call succeeds. Every other ptrace call goes straight to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <cpuid.h>

#define NT_X86_XSTATE 0x202

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

/* Big enough for any XSAVE area (AMX: about 11 KiB); one user at a time. */
static char full_state[1 << 16];
static int full_state_busy;

long ptrace(enum __ptrace_request req, ...)
{
	static ptrace_fn real;
	va_list ap;
	va_start(ap, req);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if (req == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data != NULL) {
		struct iovec *iov = data;
		struct iovec full = { full_state, sizeof full_state };
		long r = -1;
		int shimmed = 0;
		while (__atomic_exchange_n(&full_state_busy, 1, __ATOMIC_ACQUIRE))
			;
		if (real(PTRACE_GETREGSET, pid, addr, &full) == 0 && full.iov_len > iov->iov_len) {
			/* With AMX the kernel wants the size of every feature enabled in XCR0
			 * (CPUID 0xD.0 EBX), while GETREGSET gives only the task's default size
			 * (no AMX tiles unless the task asked for them): pad with the init state. */
			unsigned a, b, c, d;
			size_t len = full.iov_len;
			if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b > len && b <= sizeof full_state) {
				memset(full_state + len, 0, b - len);
				len = b;
			}
			full.iov_len = len;
			memcpy(full_state, iov->iov_base, iov->iov_len);
			r = real(PTRACE_SETREGSET, pid, addr, &full);
			shimmed = 1;
		}
		__atomic_store_n(&full_state_busy, 0, __ATOMIC_RELEASE);
		if (shimmed)
			return r;
	}
	return real(req, pid, addr, data);
}
