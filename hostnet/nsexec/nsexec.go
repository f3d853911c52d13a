// Package nsexec runs code inside a network namespace. It is the one place that switches
// an OS thread's namespace, shared by the live reader and the engine (sysctls under
// /proc/sys/net belong to the namespace that opens them) and the lab's topology builder. It
// depends on nothing of hostnet, so any package may use it without import cycles.
package nsexec

import (
	"errors"
	"fmt"
	"runtime"

	vnetns "github.com/vishvananda/netns"
)

// Do runs fn on a locked OS thread inside network namespace ns, so that what fn opens
// there (/proc/sys/net files, sockets) belongs to ns; vnetns.None() (or any closed handle)
// runs fn as it is, in the caller's namespace. If switching back fails the thread stays
// locked, and the Go runtime discards it rather than reuse it in the wrong namespace.
func Do(ns vnetns.NsHandle, fn func() error) error {
	if !ns.IsOpen() {
		return fn()
	}
	type result struct {
		err      error
		panicked bool
		p        any
	}
	done := make(chan result, 1)
	// fn runs on a goroutine of its own, locked to its thread. The thread is unlocked only
	// once it is back in its original namespace; when switching back fails the goroutine
	// exits still locked, and the runtime then ends the thread instead of letting other
	// goroutines run in ns.
	go func() {
		runtime.LockOSThread()
		orig, err := vnetns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer orig.Close()
		if err := vnetns.Set(ns); err != nil {
			runtime.UnlockOSThread() // setns failed: the thread is where it was
			done <- result{err: err}
			return
		}
		var r result
		func() {
			defer func() {
				if p := recover(); p != nil {
					r.panicked, r.p = true, p
				}
			}()
			r.err = fn()
		}()
		if err := vnetns.Set(orig); err != nil {
			r.err = errors.Join(r.err, fmt.Errorf("cannot return to the original network namespace: %w", err))
			done <- r
			return // still locked: the thread dies with the goroutine
		}
		runtime.UnlockOSThread()
		done <- r
	}()
	r := <-done
	if r.panicked {
		panic(r.p) // in the caller's goroutine, as when fn ran there
	}
	return r.err
}
