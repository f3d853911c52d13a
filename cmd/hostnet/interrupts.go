package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interrupts keeps apply and destroy from dying half way: from the start of the command
// SIGHUP (the SSH session is lost), SIGINT (Ctrl-C), SIGTERM and SIGPIPE (the terminal or
// pipe reading the output is gone) are caught. Before the first change such a signal ends
// the command at once with nothing changed; once changes began it is noted and the command
// finishes (or, on an error, restores), so the host is never left half-applied. With
// --confirm-within the watchdog, started before the first change, still guards the result.
type interrupts struct {
	mu       sync.Mutex
	changing bool
	got      []os.Signal
	ch       chan os.Signal
	stderr   io.Writer
	done     chan struct{}
}

func catchInterrupts(stderr io.Writer) *interrupts {
	in := &interrupts{ch: make(chan os.Signal, 8), stderr: stderr, done: make(chan struct{})}
	signal.Notify(in.ch, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE)
	go func() {
		defer close(in.done)
		for sig := range in.ch {
			in.mu.Lock()
			if !in.changing && sig != syscall.SIGPIPE {
				fmt.Fprintf(in.stderr, "\nInterrupted (%s) before any change: nothing was changed.\n", sig)
				os.Exit(exitError) // the kernel drops the lock with the process
			}
			in.got = append(in.got, sig)
			in.mu.Unlock()
		}
	}()
	return in
}

// changesBegin says that from now on a signal must not end the command.
func (in *interrupts) changesBegin() {
	in.mu.Lock()
	in.changing = true
	in.mu.Unlock()
}

// stop stops catching and reports what was caught during the changes.
func (in *interrupts) stop() {
	signal.Stop(in.ch)
	close(in.ch)
	<-in.done
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, sig := range in.got {
		if sig != syscall.SIGPIPE {
			fmt.Fprintf(in.stderr, "Received %s during the changes: finished them rather than leave the host half-changed.\n", sig)
		}
	}
}
