// Package bench measures hostnet at scale inside the lab (hostnet/lab): a fresh apply, a no-op
// re-apply and a destroy of bond0 + br0 + N VLANs with a bridge each, against the same
// topology from a raw `ip -batch` file and, when given, from ifupdown2, all in one kernel so
// that the ratios compare like with like.
//
// Run must be called inside a lab (it changes the kernel's network); `hostnet lab bench`
// boots one and calls it there. The `ip -batch` and ifupdown2 runs are measurement
// baselines: their files are generated here and passed as file arguments, never through a
// shell.
package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/planview"
	"github.com/hostnet/hostnet/hostnet/validate"
)

var native = binary.NativeEndian

// Metric names. A sample maps each to one duration.
const (
	IPCreate = "ip.create" // ip -batch of the topology
	IPDelete = "ip.delete" // ip -batch removing it

	Decode = "hostnet.decode" // plan.Load + validate.Plan of the HCL plan
	Read   = "hostnet.read"   // live.Read: links, addresses, routes
	Diff   = "hostnet.diff"   // engine.Diff
	Render = "hostnet.render" // planview.Render (what apply prints before it applies)
	Exec   = "hostnet.exec"   // engine.Apply: sending the steps
	Verify = "hostnet.verify" // engine.Apply: read back + re-diff
	Fresh  = "hostnet.fresh"  // decode + read + diff + render + apply (exec + verify)

	NoopDecode = "hostnet.noop.decode"
	NoopRead   = "hostnet.noop.read"
	NoopDiff   = "hostnet.noop.diff"
	Noop       = "hostnet.noop" // the whole no-op apply, decode included

	Destroy = "hostnet.destroy" // decode + read + DestroyChanges + render + apply

	ProcVersion = "process.version" // `hostnet version`: process start of the binary, nothing else
	ProcFresh   = "process.apply"   // `hostnet apply --auto-approve PLAN` on a bare host
	ProcNoop    = "process.noop"    // the same again: no changes
	ProcDestroy = "process.destroy" // `hostnet destroy --auto-approve PLAN`

	IfupFresh = "ifupdown2.ifup"      // ifup -a -i FILE on a bare host
	IfupNoop  = "ifupdown2.ifup.noop" // the same again
	Ifdown    = "ifupdown2.ifdown"    // ifdown -a -i FILE
)

// Config says what to measure.
type Config struct {
	// Layout is the topology: "" (a VLAN device and a bridge per VLAN) or LayoutVLANAware.
	Layout string
	Ns     []int // VLAN counts
	Reps   int   // repetitions of every measurement per N (default 3)
	// LargeN and LargeReps: Ns above LargeN get LargeReps repetitions (when both are set).
	LargeN, LargeReps int
	// HostnetBinary, when set, is a hostnet binary run as a separate process for the
	// process.* figures.
	HostnetBinary string
	// Ifupdown2Root, when set, is a `dpkg -x` of the ifupdown2 package on the host; it is
	// copied into the lab's throwaway root. Ifupdown2Ns are the Ns to run it for (it is slow)
	// and Ifupdown2Reps its repetitions (default Reps).
	Ifupdown2Root string
	Ifupdown2Ns   []int
	Ifupdown2Reps int
	Log           io.Writer // progress lines; nil = none
	// Partial, when set, gets the results so far after each N (a long run that is stopped
	// still leaves its figures).
	Partial func(*Results)
}

// Results of a whole run.
type Results struct {
	Layout    string     `json:"layout,omitempty"`
	LabKernel string     `json:"lab_kernel"`
	HostCPUs  int        `json:"host_cpus"` // of the machine running the lab (UML itself runs on one)
	Reps      int        `json:"reps"`
	Ifupdown2 string     `json:"ifupdown2,omitempty"` // "" when it ran, else why it did not
	PerN      []*NResult `json:"per_n"`
	StartedAt time.Time  `json:"started_at"`
	Duration  float64    `json:"duration_s"`
	GoVersion string     `json:"go_version"`
}

// NResult is everything measured for one N.
type NResult struct {
	N     int `json:"n"`
	Links int `json:"links"` // links the topology adds
	// Samples holds every repetition of every metric, in seconds.
	Samples map[string][]float64 `json:"samples"`
	// Of the last fresh in-process apply.
	Steps    int `json:"steps"`
	Requests int `json:"requests"` // netlink requests, the verify dumps included
	Batches  int `json:"batches"`  // sendmsg calls
	// Of the no-op applies (in-process and process): the largest over all repetitions.
	NoopSteps    int  `json:"noop_steps"`
	NoopRequests int  `json:"noop_requests"`    // requests engine.Apply sent (0: nothing written)
	NoopEvents   int  `json:"noop_events"`      // kernel rtnetlink notifications during the no-op
	NoopQuiet    bool `json:"noop_quiet"`       // the kernel was quiet before every no-op
	NoopOverflow bool `json:"noop_overflow"`    // the monitor lost notifications (count is a floor)
	ProcNoopEvts int  `json:"proc_noop_events"` // same for the process no-op
	Notes        []string
}

func (r *NResult) add(metric string, d time.Duration) {
	if Progress != nil {
		fmt.Fprintf(Progress, "bench:   N=%d %s %.3f s\n", r.N, metric, d.Seconds())
	}
	if r.Samples == nil {
		r.Samples = map[string][]float64{}
	}
	r.Samples[metric] = append(r.Samples[metric], d.Seconds())
}

// Progress, when set, gets every figure as it is measured.
var Progress io.Writer

type runner struct {
	cfg    Config
	dir    string
	mon    *monitor
	before []string
	ifup   string // dir holding ifup/ifdown links, "" = no ifupdown2
	res    *Results
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, "bench: "+format+"\n", args...)
	}
}

// Run measures everything cfg asks for. It must run inside a lab.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if !lab.Inside() {
		return nil, errors.New("bench: Run changes the kernel's network: it runs inside the lab only (hostnet lab bench)")
	}
	if cfg.Reps < 1 {
		cfg.Reps = 3
	}
	if cfg.Ifupdown2Reps < 1 {
		cfg.Ifupdown2Reps = cfg.Reps
	}
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	res := &Results{Layout: cfg.Layout, LabKernel: unix.ByteSliceToString(uts.Release[:]), Reps: cfg.Reps,
		StartedAt: time.Now().UTC(), GoVersion: runtime.Version()}
	if v := os.Getenv("HOSTNET_BENCH_HOST_CPUS"); v != "" {
		fmt.Sscan(v, &res.HostCPUs)
	}
	t0 := time.Now()

	tp, err := topo.New()
	if err != nil {
		return nil, err
	}
	defer tp.Close()
	for _, nic := range []struct {
		label, name string
		mac         []byte
	}{{nic0Label, nic0, nic0MAC}, {nic1Label, nic1, nic1MAC}} {
		if err := tp.AddNIC(nic.label, nic.mac); err != nil {
			return nil, err
		}
		if got := tp.NIC(nic.label); got != nic.name {
			return nil, fmt.Errorf("bench: the lab named NIC %s %s, the ip and ifupdown2 files say %s", nic.label, got, nic.name)
		}
	}
	if _, err := tp.AddRemote("gw", remoteCIDR); err != nil {
		return nil, err
	}
	mon, err := newMonitor()
	if err != nil {
		return nil, err
	}
	defer mon.Close()
	dir, err := os.MkdirTemp("", "hostnet-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r := &runner{cfg: cfg, dir: dir, mon: mon, res: res}
	if r.before, err = normalized(); err != nil {
		return nil, err
	}
	if cfg.Ifupdown2Root != "" && len(cfg.Ifupdown2Ns) > 0 {
		if err := r.installIfupdown2(); err != nil {
			res.Ifupdown2 = err.Error()
			r.logf("ifupdown2 will not run: %v", err)
		}
	} else {
		res.Ifupdown2 = "not requested"
	}

	for _, n := range cfg.Ns {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		nr, err := r.measureN(ctx, n)
		if nr != nil {
			res.PerN = append(res.PerN, nr)
		}
		res.Duration = time.Since(t0).Seconds()
		if cfg.Partial != nil {
			cfg.Partial(res)
		}
		if err != nil {
			return res, fmt.Errorf("N=%d: %w", n, err)
		}
	}
	res.Duration = time.Since(t0).Seconds()
	return res, nil
}

func (r *runner) measureN(ctx context.Context, n int) (*NResult, error) {
	nr := &NResult{N: n, Links: linksOf(r.cfg.Layout, n), NoopQuiet: true}
	files := map[string]string{
		"plan.hcl":   planHCL(n),
		"create.ip":  ipCreate(n),
		"delete.ip":  ipDelete(n),
		"interfaces": interfaces(n),
	}
	if r.cfg.Layout == LayoutVLANAware {
		files = map[string]string{
			"plan.hcl":      planHCLVLANAware(n),
			"create.ip":     ipCreateVLANAware(),
			"create.bridge": bridgeVLANAware(n),
			"delete.ip":     ipDeleteVLANAware(),
			"interfaces":    interfacesVLANAware(n),
		}
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	path := func(name string) string { return filepath.Join(r.dir, name) }
	ifupReps := 0
	if r.ifup != "" && slices.Contains(r.cfg.Ifupdown2Ns, n) {
		ifupReps = r.cfg.Ifupdown2Reps
	}

	reps := r.cfg.Reps
	if r.cfg.LargeN > 0 && r.cfg.LargeReps > 0 && n > r.cfg.LargeN {
		reps = r.cfg.LargeReps
	}
	for rep := 0; rep < reps; rep++ {
		r.logf("N=%d rep %d/%d", n, rep+1, reps)

		// Baseline: ip -batch.
		if err := r.settle(); err != nil {
			return nr, err
		}
		d, err := r.ip(path("create.ip"))
		if err != nil {
			return nr, err
		}
		nr.add(IPCreate, d)
		if err := r.settle(); err != nil {
			return nr, err
		}
		if d, err = r.ip(path("delete.ip")); err != nil {
			return nr, err
		}
		nr.add(IPDelete, d)
		if err := r.restored("ip -batch delete", nr, true); err != nil {
			return nr, err
		}

		// hostnet in-process, the steps of `hostnet apply --auto-approve`.
		if err := r.settle(); err != nil {
			return nr, err
		}
		if err := r.hostnetFresh(ctx, path("plan.hcl"), nr); err != nil {
			return nr, err
		}
		if err := r.hostnetNoop(ctx, path("plan.hcl"), nr); err != nil {
			return nr, err
		}
		if err := r.hostnetDestroy(ctx, path("plan.hcl"), nr); err != nil {
			return nr, err
		}
		if err := r.restored("hostnet destroy", nr, false); err != nil {
			return nr, err
		}

		// hostnet as a separate process.
		if r.cfg.HostnetBinary != "" {
			if err := r.processRuns(path("plan.hcl"), nr); err != nil {
				return nr, err
			}
		}

		// ifupdown2.
		if rep < ifupReps {
			if err := r.ifupdown2Runs(path("interfaces"), nr); err != nil {
				return nr, err
			}
		}
	}
	return nr, nil
}

// settle waits for the kernel to calm down after the previous step, so that one tool's
// trailing events (carrier, IPv6 DAD) neither slow the next one nor count as its writes.
//
// The quiet period must outlast IPv6 duplicate address detection: a link that comes up gets
// its link-local address after a random delay of up to 1 s and a 1 s probe, each step a
// notification.
func (r *runner) settle() error {
	quiet, err := r.mon.settle(settleQuiet, settleMax)
	if err == nil && !quiet {
		r.logf("kernel not quiet after %v", settleMax)
	}
	return err
}

const (
	settleQuiet = 1500 * time.Millisecond
	settleMax   = 60 * time.Second
)

// ip runs `ip -batch FILE` and, when the layout has one beside it (create.bridge for
// create.ip), `bridge -batch` of the bridge VLANs: the two together are the baseline.
func (r *runner) ip(file string) (time.Duration, error) {
	t0 := time.Now()
	out, err := exec.Command("ip", "-batch", file).CombinedOutput()
	if err != nil {
		return time.Since(t0), fmt.Errorf("ip -batch %s: %v: %s", filepath.Base(file), err, out)
	}
	if br := strings.TrimSuffix(file, ".ip") + ".bridge"; br != file {
		if _, serr := os.Stat(br); serr == nil {
			if out, err := exec.Command("bridge", "-batch", br).CombinedOutput(); err != nil {
				return time.Since(t0), fmt.Errorf("bridge -batch %s: %v: %s", filepath.Base(br), err, out)
			}
		}
	}
	return time.Since(t0), nil
}

// loadPlan is what hostnet's plan, apply and destroy commands do first.
func loadPlan(path string) (*plan.Plan, error) {
	p, _, diags := plan.LoadWithFiles(path, plan.LoadOptions{})
	if p != nil {
		diags = append(diags, validate.Plan(p)...)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("plan: %s", diags.Error())
	}
	return p, nil
}

// pipeline is one `hostnet apply` or `hostnet destroy` in-process, timed step by step.
type pipeline struct {
	decode, read, diff, render, apply time.Duration
	changes                           *engine.Changes
	report                            *engine.Report
}

func (p *pipeline) total() time.Duration { return p.decode + p.read + p.diff + p.render + p.apply }

func runPipeline(ctx context.Context, path string, diffFn func(*plan.Plan, *live.State) (*engine.Changes, error)) (*pipeline, error) {
	var pl pipeline
	t := time.Now()
	lap := func(d *time.Duration) {
		now := time.Now()
		*d = now.Sub(t)
		t = now
	}
	p, err := loadPlan(path)
	if err != nil {
		return nil, err
	}
	lap(&pl.decode)
	s, err := engine.Read(netns.None(), p) // as hostnet apply reads: bridge VLANs too
	if err != nil {
		return nil, err
	}
	lap(&pl.read)
	if pl.changes, err = diffFn(p, s); err != nil {
		return nil, err
	}
	lap(&pl.diff)
	if err := planview.Render(io.Discard, pl.changes); err != nil {
		return nil, err
	}
	lap(&pl.render)
	pl.report, err = engine.Apply(ctx, netns.None(), pl.changes)
	lap(&pl.apply)
	if err != nil {
		return &pl, fmt.Errorf("engine.Apply: %w", err)
	}
	return &pl, nil
}

func (r *runner) hostnetFresh(ctx context.Context, path string, nr *NResult) error {
	pl, err := runPipeline(ctx, path, engine.Diff)
	if err != nil {
		return fmt.Errorf("hostnet fresh apply: %w", err)
	}
	if pl.report.Steps == 0 {
		return errors.New("hostnet fresh apply: no steps (the host was not bare)")
	}
	nr.add(Decode, pl.decode)
	nr.add(Read, pl.read)
	nr.add(Diff, pl.diff)
	nr.add(Render, pl.render)
	nr.add(Exec, pl.report.Exec)
	nr.add(Verify, pl.report.Verify)
	nr.add(Fresh, pl.total())
	nr.Steps, nr.Requests, nr.Batches = pl.report.Steps, pl.report.Requests, pl.report.Batches
	return nil
}

// noopWindow runs f and returns how many kernel notifications it caused. The kernel must be
// quiet first; settle waits for that.
func (r *runner) noopWindow(nr *NResult, what string, f func() error) (int, error) {
	quiet, err := r.mon.settle(settleQuiet, settleMax)
	if err != nil {
		return 0, err
	}
	nr.NoopQuiet = nr.NoopQuiet && quiet
	if _, _, err := r.mon.drain(); err != nil {
		return 0, err
	}
	if err := f(); err != nil {
		return 0, err
	}
	r.mon.types = map[uint16]int{}
	n, over, err := r.mon.drain()
	if n > 0 {
		note := fmt.Sprintf("%s: kernel notifications during the no-op: %s", what, typeSummary(r.mon.types))
		nr.Notes = append(nr.Notes, note)
		r.logf("N=%d %s", nr.N, note)
	}
	r.mon.types = nil
	nr.NoopOverflow = nr.NoopOverflow || over
	return n, err
}

func (r *runner) hostnetNoop(ctx context.Context, path string, nr *NResult) error {
	var pl *pipeline
	events, err := r.noopWindow(nr, "in-process", func() (err error) {
		pl, err = runPipeline(ctx, path, engine.Diff)
		return err
	})
	if err != nil {
		return fmt.Errorf("hostnet no-op apply: %w", err)
	}
	if pl.changes.HasChanges() {
		return fmt.Errorf("hostnet no-op apply: the re-plan has changes: %v", pl.changes.ChangedObjects())
	}
	nr.add(NoopDecode, pl.decode)
	nr.add(NoopRead, pl.read)
	nr.add(NoopDiff, pl.diff)
	nr.add(Noop, pl.total())
	nr.NoopSteps = max(nr.NoopSteps, len(pl.changes.Steps()))
	nr.NoopRequests = max(nr.NoopRequests, pl.report.Requests)
	nr.NoopEvents = max(nr.NoopEvents, events)
	return nil
}

func (r *runner) hostnetDestroy(ctx context.Context, path string, nr *NResult) error {
	pl, err := runPipeline(ctx, path, engine.DestroyChanges)
	if err != nil {
		return fmt.Errorf("hostnet destroy: %w", err)
	}
	nr.add(Destroy, pl.total())
	return nil
}

func (r *runner) hostnet(args ...string) (time.Duration, error) {
	cmd := exec.Command(r.cfg.HostnetBinary, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr // stdout (the rendered plan) goes to /dev/null
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return d, fmt.Errorf("hostnet %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return d, nil
}

func (r *runner) processRuns(path string, nr *NResult) error {
	d, err := r.hostnet("version")
	if err != nil {
		return err
	}
	nr.add(ProcVersion, d)
	if err := r.settle(); err != nil {
		return err
	}
	if d, err = r.hostnet("apply", "--auto-approve", path); err != nil {
		return err
	}
	nr.add(ProcFresh, d)
	events, err := r.noopWindow(nr, "process", func() (err error) {
		d, err = r.hostnet("apply", "--auto-approve", path)
		return err
	})
	if err != nil {
		return err
	}
	nr.add(ProcNoop, d)
	nr.ProcNoopEvts = max(nr.ProcNoopEvts, events)
	if d, err = r.hostnet("destroy", "--auto-approve", path); err != nil {
		return err
	}
	nr.add(ProcDestroy, d)
	return r.restored("hostnet destroy (process)", nr, false)
}

// restored checks that the host is back where it started. A baseline tool that leaves
// something behind is noted and cleaned up (tolerate); hostnet leaving something is an error.
func (r *runner) restored(what string, nr *NResult, tolerate bool) error {
	now, err := normalized()
	if err != nil {
		return err
	}
	d := strings.Join(live.DiffNormalized(r.before, now), "\n")
	if d == "" {
		return nil
	}
	if !tolerate {
		return fmt.Errorf("%s did not restore the host:\n%s", what, d)
	}
	note := fmt.Sprintf("%s left %d differences (cleaned up)", what, strings.Count(d, "\n")+1)
	if !slices.Contains(nr.Notes, note) {
		nr.Notes = append(nr.Notes, note)
	}
	r.logf("%s; first: %s", note, strings.SplitN(d, "\n", 2)[0])
	if err := cleanup(r.before); err != nil {
		return err
	}
	now, err = normalized()
	if err != nil {
		return err
	}
	if d := strings.Join(live.DiffNormalized(r.before, now), "\n"); d != "" {
		return fmt.Errorf("cleanup after %s failed:\n%s", what, d)
	}
	return nil
}

func normalized() ([]string, error) {
	s, err := live.Read(netns.None())
	if err != nil {
		return nil, err
	}
	return s.Normalized(), nil
}

// cleanup deletes every bond, bridge and VLAN a baseline tool created and puts the NICs back
// down without addresses.
func cleanup(before []string) error {
	links, err := netlink.LinkList()
	if err != nil {
		return err
	}
	var errs []error
	for _, kind := range []string{"vlan", "bridge", "bond"} {
		for _, l := range links {
			if l.Type() == kind {
				if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
					errs = append(errs, fmt.Errorf("delete %s: %w", l.Attrs().Name, err))
				}
			}
		}
	}
	for _, name := range []string{nic0, nic1} {
		l, err := netlink.LinkByName(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := netlink.LinkSetDown(l); err != nil {
			errs = append(errs, err)
		}
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_ALL)
		for _, a := range addrs {
			if a.IP.IsLinkLocalUnicast() {
				continue
			}
			if err := netlink.AddrDel(l, &a); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
