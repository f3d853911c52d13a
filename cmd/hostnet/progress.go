package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress is a one-line status on a terminal, redrawn in place, for work that takes more
// than a moment (an apply's kernel operations, libvirt networks, the lab's boot). It is
// silent when its writer is not a terminal or with --json, so logs and pipes get only the
// results. The zero value and nil are silent.
type progress struct {
	w  io.Writer
	on bool

	mu    sync.Mutex
	label string
	start time.Time
	last  time.Time
	shown bool
	stop  chan struct{}
	wg    sync.WaitGroup
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// useColor is whether to colour output for w: a terminal, and NO_COLOR unset or empty
// (https://no-color.org).
func useColor(w io.Writer) bool {
	return os.Getenv("NO_COLOR") == "" && isTerminal(w)
}

// newProgress shows progress on w when it is a terminal and quiet is false.
func newProgress(w io.Writer, quiet bool) *progress {
	return &progress{w: w, on: !quiet && isTerminal(w)}
}

// redraw interval: often enough to look alive, rarely enough to cost nothing.
const progressEvery = 100 * time.Millisecond

// set shows a line now if the last one is older than progressEvery (force: always).
func (p *progress) set(force bool, format string, args ...any) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !force && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	if p.start.IsZero() {
		p.start = now
	}
	line := fmt.Sprintf(format, args...)
	fmt.Fprintf(p.w, "\r\033[K%s  %s", line, now.Sub(p.start).Round(100*time.Millisecond))
	p.shown = true
}

// steps reports done of total units of work.
func (p *progress) steps(what string, done, total int, detail string) {
	if detail != "" {
		detail = " (" + detail + ")"
	}
	p.set(done == 0 || done == total, "%s: %d/%d%s", what, done, total, detail)
}

// wait shows label with a running clock until done is called: for waits that report
// nothing (the lab kernel booting).
func (p *progress) wait(label string) {
	if p == nil || !p.on {
		return
	}
	p.stop = make(chan struct{})
	p.start = time.Now()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			p.set(true, "%s", label)
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// done clears the line (and stops a wait); what is printed next starts on a clean line.
func (p *progress) done() {
	if p == nil || !p.on {
		return
	}
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
		p.stop = nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
	p.start = time.Time{}
}
