package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Stat is the median and range of a metric's repetitions, in seconds.
type Stat struct {
	Median, Min, Max float64
	Count            int
}

func stat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{Median: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1], Count: len(s)}
}

// Stat of one metric.
func (r *NResult) Stat(metric string) Stat { return stat(r.Samples[metric]) }

// Ratio of two metrics repetition by repetition (a[i]/b[i]: both measured in the same
// repetition, back to back in the same kernel).
func (r *NResult) Ratio(a, b string) Stat {
	xa, xb := r.Samples[a], r.Samples[b]
	var out []float64
	for i := 0; i < len(xa) && i < len(xb); i++ {
		if xb[i] > 0 {
			out = append(out, xa[i]/xb[i])
		}
	}
	return stat(out)
}

func secs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v < 1:
		return fmt.Sprintf("%.1f ms", v*1000)
	default:
		return fmt.Sprintf("%.2f s", v)
	}
}

// String is "median (min-max)", or the median alone for one sample.
func (s Stat) String() string {
	if s.Count == 0 {
		return "-"
	}
	if s.Count == 1 || s.Min == s.Max {
		return secs(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", secs(s.Median), strings.TrimSuffix(strings.TrimSuffix(secs(s.Min), " ms"), " s"), secs(s.Max))
}

func ratio(s Stat) string {
	if s.Count == 0 {
		return "-"
	}
	if s.Count == 1 {
		return fmt.Sprintf("%.2f", s.Median)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", s.Median, s.Min, s.Max)
}

// perVLAN is the median per VLAN, in ms.
func perVLAN(s Stat, n int) string {
	if s.Count == 0 || n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", s.Median*1000/float64(n))
}

// Markdown writes the results as tables.
func (res *Results) Markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	cpus := "unknown"
	if res.HostCPUs > 0 {
		cpus = fmt.Sprint(res.HostCPUs)
	}
	p("Lab kernel %s (user-mode Linux, one CPU); host nproc %s; %s; %d repetitions per N "+
		"(see runs); cells are median (min–max).\n\n", res.LabKernel, cpus, res.GoVersion, res.Reps)

	p("| N | links | runs | ip -batch create | hostnet fresh apply | hostnet / ip | ms per VLAN: ip, hostnet | no-op re-apply | hostnet destroy | ip -batch delete | destroy / ip |\n")
	p("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.PerN {
		ip, fr := r.Stat(IPCreate), r.Stat(Fresh)
		p("| %d | %d | %d | %s | %s | %s | %s, %s | %s | %s | %s | %s |\n", r.N, r.Links, len(r.Samples[Fresh]), ip, fr, ratio(r.Ratio(Fresh, IPCreate)),
			perVLAN(ip, r.N), perVLAN(fr, r.N), r.Stat(Noop), r.Stat(Destroy), r.Stat(IPDelete), ratio(r.Ratio(Destroy, IPDelete)))
	}

	p("\nFresh apply, step by step (medians), and what it sent:\n\n")
	p("| N | decode + validate | read | diff | render | exec | verify | steps | requests | sendmsg |\n")
	p("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.PerN {
		m := func(k string) string { return secs(r.Stat(k).Median) }
		p("| %d | %s | %s | %s | %s | %s | %s | %d | %d | %d |\n", r.N, m(Decode), m(Read), m(Diff), m(Render), m(Exec), m(Verify),
			r.Steps, r.Requests, r.Batches)
	}

	p("\nNo-op re-apply (medians): requests is what engine.Apply sent, kernel events the rtnetlink " +
		"notifications (links, addresses, routes) seen during it, in-process / as a process:\n\n")
	p("| N | decode + validate | read | diff | total | steps | requests | kernel events |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.PerN {
		m := func(k string) string { return secs(r.Stat(k).Median) }
		ev := fmt.Sprintf("%d / %d", r.NoopEvents, r.ProcNoopEvts)
		if !r.NoopQuiet {
			ev += " (kernel not quiet before)"
		}
		if r.NoopOverflow {
			ev += " (monitor overflowed)"
		}
		p("| %d | %s | %s | %s | %s | %d | %d | %s |\n", r.N, m(NoopDecode), m(NoopRead), m(NoopDiff), m(Noop), r.NoopSteps, r.NoopRequests, ev)
	}

	if slices.ContainsFunc(res.PerN, func(r *NResult) bool { return len(r.Samples[ProcFresh]) > 0 }) {
		p("\n`hostnet` as a separate process (the built binary, stdout to /dev/null) against the same " +
			"steps in-process:\n\n")
		p("| N | `hostnet version` | apply: process | apply: in-process | no-op: process | no-op: in-process | destroy: process | destroy: in-process |\n")
		p("|---|---|---|---|---|---|---|---|\n")
		for _, r := range res.PerN {
			p("| %d | %s | %s | %s | %s | %s | %s | %s |\n", r.N, r.Stat(ProcVersion), r.Stat(ProcFresh), r.Stat(Fresh),
				r.Stat(ProcNoop), r.Stat(Noop), r.Stat(ProcDestroy), r.Stat(Destroy))
		}
	}

	if slices.ContainsFunc(res.PerN, func(r *NResult) bool { return len(r.Samples[IfupFresh]) > 0 }) {
		p("\nifupdown2 (Python; every `ip`/`bridge` call it makes pays the lab's process start):\n\n")
		p("| N | ifup -a (fresh) | ifup -a (no-op) | ifdown -a | ifup / ip -batch | ifup / hostnet | runs |\n")
		p("|---|---|---|---|---|---|---|\n")
		for _, r := range res.PerN {
			if len(r.Samples[IfupFresh]) == 0 {
				continue
			}
			p("| %d | %s | %s | %s | %s | %s | %d |\n", r.N, r.Stat(IfupFresh), r.Stat(IfupNoop), r.Stat(Ifdown),
				ratio(r.Ratio(IfupFresh, IPCreate)), ratio(r.Ratio(IfupFresh, Fresh)), len(r.Samples[IfupFresh]))
		}
	}
	if res.Ifupdown2 != "" && res.Ifupdown2 != "not requested" {
		p("\nifupdown2 did not run: %s\n", res.Ifupdown2)
	}
	for _, r := range res.PerN {
		for _, n := range r.Notes {
			p("\nN=%d: %s\n", r.N, n)
		}
	}
}
