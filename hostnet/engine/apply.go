package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hostnet/hostnet/hostnet/nsexec"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/bridge"
	"github.com/hostnet/hostnet/hostnet/live"
)

// BatchSize is how many requests Apply sends per sendmsg before collecting their ACKs. The
// kernel handles them one by one, in order; batching only saves system calls. 1 sends
// each request on its own.
var BatchSize = 256

// FaultHook is for fault-injection tests: when set, Apply calls it for every kernel
// operation (netlink request or sysctl write) just before sending it, with the operation's 0-based position in Steps(). A
// non-nil error makes that operation fail as if the kernel had refused it: it is not sent,
// nor is any later one, and Apply returns a *StepError for it. Production code leaves it nil.
var FaultHook func(index int, s Step) error

// Report says what Apply did.
type Report struct {
	Message  string        `json:"message"`  // "no changes", "applied N steps"
	Steps    int           `json:"steps"`    // kernel operations that succeeded
	Planned  int           `json:"planned"`  // kernel operations planned
	Requests int           `json:"requests"` // netlink requests sent, dumps included
	Batches  int           `json:"batches"`  // sendmsg calls
	Exec     time.Duration `json:"exec_ns"`
	Verify   time.Duration `json:"verify_ns"`
	// Unconverged lists what the kernel did not take, as a re-diff after the apply sees it.
	Unconverged []Change `json:"unconverged,omitempty"`
}

// StepError is a kernel operation that failed.
type StepError struct {
	Index int // 0-based position in Changes.Steps()
	Total int
	Step  Step
	Err   error
	// Others counts later steps, sent in the same batch, that failed too.
	Others int
}

func (e *StepError) Error() string {
	s := fmt.Sprintf("%s: %s failed (step %d of %d): %v", e.Step.Object, e.Step.Desc, e.Index+1, e.Total, e.Err)
	if e.Others > 0 {
		s += fmt.Sprintf(" (and %d later steps)", e.Others)
	}
	return s
}

func (e *StepError) Unwrap() error { return e.Err }

// NotConvergedError says which objects and attributes the kernel did not take.
type NotConvergedError struct {
	Changes []Change
}

func (e *NotConvergedError) Error() string {
	var lines []string
	for _, c := range e.Changes {
		if len(c.Attrs) == 0 {
			lines = append(lines, fmt.Sprintf("%s: still needs %s", c.Address, c.Action))
			continue
		}
		for _, a := range c.Attrs {
			switch {
			case a.Old == "":
				lines = append(lines, fmt.Sprintf("%s: %s %s is missing", c.Address, a.Name, a.New))
			case a.New == "":
				lines = append(lines, fmt.Sprintf("%s: %s %s is still there", c.Address, a.Name, a.Old))
			default:
				lines = append(lines, fmt.Sprintf("%s: %s is %s, the plan wants %s", c.Address, a.Name, a.Old, a.New))
			}
			if a.Why != "" {
				lines[len(lines)-1] += " (" + a.Why + ")"
			}
		}
	}
	return "the kernel did not take the whole plan: " + strings.Join(lines, "; ")
}

// Apply runs the steps of ch in order, then reads the state back once and diffs it again:
// anything not converged is an error naming the object and attribute. With nothing to do it
// sends nothing and reports "no changes".
func Apply(ctx context.Context, ns netns.NsHandle, ch *Changes) (*Report, error) {
	rep := &Report{Planned: len(ch.steps)}
	if len(ch.steps) == 0 {
		rep.Message = "no changes"
		return rep, nil
	}
	c, err := live.Dial(ns)
	if err != nil {
		return rep, err
	}
	defer c.Close()
	t0 := time.Now()
	err = run(ctx, c, ns, ch, rep)
	rep.Exec = time.Since(t0)
	rep.Requests, rep.Batches = c.Sent, c.Syscalls
	if err != nil {
		rep.Message = fmt.Sprintf("failed after %d of %d steps", rep.Steps, len(ch.steps))
		return rep, err
	}
	if ch.plan == nil && !ch.destroy {
		rep.Message = fmt.Sprintf("applied %d steps", rep.Steps) // FixChanges: the caller verifies
		return rep, nil
	}
	t1 := time.Now()
	s, err := c.ReadWith(ReadOptions(ch.plan))
	if err != nil {
		return rep, fmt.Errorf("engine: reading back: %w", err)
	}
	var again *Changes
	if ch.destroy {
		again, err = DestroyChanges(ch.plan, s)
	} else {
		again, err = Diff(ch.plan, s)
	}
	rep.Verify = time.Since(t1)
	rep.Requests, rep.Batches = c.Sent, c.Syscalls
	if err != nil {
		return rep, fmt.Errorf("engine: verifying: %w", err)
	}
	rep.Message = fmt.Sprintf("applied %d steps", rep.Steps)
	if again.HasChanges() {
		rep.Unconverged = again.ChangedObjects()
		explainDowned(rep.Unconverged, ch.downed)
		rep.Message += ", not converged"
		return rep, &NotConvergedError{Changes: rep.Unconverged}
	}
	return rep, nil
}

// ProgressFunc is told how far an Apply is: done of total kernel operations, and the phase
// of the next one. It runs on the applying goroutine, after each batch: keep it cheap.
type ProgressFunc func(done, total int, phase Phase)

type progressKey struct{}

// WithProgress returns a context whose Apply reports its progress to f (a terminal's
// progress line). Progress is optional, so it travels in the context rather than in
// every caller's arguments.
func WithProgress(ctx context.Context, f ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

func progressOf(ctx context.Context) ProgressFunc {
	if f, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && f != nil {
		return f
	}
	return func(int, int, Phase) {}
}

func run(ctx context.Context, c *live.Conn, ns netns.NsHandle, ch *Changes, rep *Report) error {
	progress := progressOf(ctx)
	r := newResolver(ch.state)
	steps := ch.steps
	n := BatchSize
	if n < 1 {
		n = 1
	}
	for start := 0; start < len(steps); {
		if err := ctx.Err(); err != nil {
			return err
		}
		progress(start, len(steps), steps[start].Phase)
		if o := &steps[start].op; o.sysctl() {
			// A sysctl write runs on its own, after the requests before it are answered
			// (the bridge it names exists by then).
			err := error(nil)
			if FaultHook != nil {
				err = FaultHook(start, steps[start])
			}
			if err == nil {
				err = nsexec.Do(ns, func() error { return bridge.SetARPNotify(o.link, o.on) })
			}
			if err != nil {
				return &StepError{Index: start, Total: len(steps), Step: steps[start], Err: err}
			}
			rep.Steps++
			start++
			continue
		}
		// A batch never crosses a phase (a failure stops the later phases from running),
		// nor a sysctl step.
		end := start + 1
		for end < len(steps) && end-start < n && steps[end].Phase == steps[start].Phase && !steps[end].op.sysctl() {
			end++
		}
		next := end
		reqs := make([]live.Request, 0, end-start)
		var buildErr error
		for i := start; i < end; i++ {
			req, err := steps[i].op.request(r)
			if err == nil && FaultHook != nil {
				err = FaultHook(i, steps[i])
			}
			if err != nil {
				if len(reqs) == 0 {
					return &StepError{Index: i, Total: len(steps), Step: steps[i], Err: err}
				}
				end, buildErr = i, err // send what is built, then fail on this one
				break
			}
			reqs = append(reqs, req)
		}
		errs, err := c.Batch(reqs)
		if err != nil {
			return err
		}
		var first *StepError
		for k, e := range errs {
			i := start + k
			if e != nil && steps[i].op.tolerated(e) {
				e = nil
			}
			if e == nil {
				rep.Steps++
				continue
			}
			if first == nil {
				first = &StepError{Index: i, Total: len(steps), Step: steps[i], Err: e}
			} else {
				first.Others++
			}
		}
		if first != nil {
			return first
		}
		if end < next {
			return &StepError{Index: end, Total: len(steps), Step: steps[end], Err: buildErr}
		}
		start = end
	}
	progress(len(steps), len(steps), PhaseFinal)
	return nil
}

// explainDowned says why an IPv6 address, a gateway or a route is missing after an apply
// that set links down and up (a bond replace): the kernel removed it with the link, and
// adding it back did not hold.
func explainDowned(objs []Change, downed []string) {
	if len(downed) == 0 {
		return
	}
	links := strings.Join(downed, ", ")
	for k := range objs {
		c := &objs[k]
		for j := range c.Attrs {
			a := &c.Attrs[j]
			if a.Old != "" || a.New == "" {
				continue
			}
			switch {
			case a.Name == "address" && strings.Contains(a.New, ":") && slices.Contains(downed, c.Name):
				a.Why = c.Name + " went down and up in this apply, and " + whyIPv6Gone + " unless keep_addr_on_down is set"
			case a.Name == "gateway" || a.Name == "route":
				a.Why = links + " went down and up in this apply, and " + whyRouteGone
			}
		}
	}
}
