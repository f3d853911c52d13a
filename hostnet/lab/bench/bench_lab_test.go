//go:build lab

package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/lab"
)

func TestMain(m *testing.M) { lab.RunTestMain(m) }

// TestLabBenchSmoke runs the harness end to end, briefly (N=10, one repetition, no ifupdown2,
// no separate process): every figure is there, hostnet's no-op apply planned and sent
// nothing and the kernel saw no change during it, and every tool left the host as it found
// it. No timing is asserted: the figures go to BENCHMARKS.md, not to CI.
// Both layouts: VLAN+bridge pairs (22 links at N=10) and one VLAN-aware bridge (2 links).
func TestLabBenchSmoke(t *testing.T) {
	for _, layout := range []struct{ name, row string }{{"", "| 10 | 22 | 1 |"}, {LayoutVLANAware, "| 10 | 2 | 1 |"}} {
		t.Run("layout="+layout.name, func(t *testing.T) { benchSmoke(t, layout.name, layout.row) })
	}
}

func benchSmoke(t *testing.T, layout, row string) {
	var log bytes.Buffer
	res, err := Run(context.Background(), Config{Layout: layout, Ns: []int{10}, Reps: 1, Log: &log})
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PerN) != 1 {
		t.Fatalf("results for %d Ns, want 1", len(res.PerN))
	}
	r := res.PerN[0]
	for _, m := range []string{IPCreate, IPDelete, Decode, Read, Diff, Render, Exec, Verify, Fresh,
		NoopDecode, NoopRead, NoopDiff, Noop, Destroy} {
		if xs := r.Samples[m]; len(xs) != 1 || !(xs[0] > 0) {
			t.Errorf("%s: samples %v, want one positive figure", m, xs)
		}
	}
	if r.Steps == 0 || r.Requests < r.Steps || r.Batches == 0 {
		t.Errorf("fresh apply: %d steps, %d requests, %d sendmsg", r.Steps, r.Requests, r.Batches)
	}
	if r.NoopSteps != 0 || r.NoopRequests != 0 {
		t.Errorf("no-op apply planned %d steps and sent %d requests, want 0 and 0", r.NoopSteps, r.NoopRequests)
	}
	if r.NoopOverflow {
		t.Error("the notification monitor overflowed during the no-op")
	}
	if r.NoopQuiet && r.NoopEvents != 0 {
		t.Errorf("the kernel saw %d changes during the no-op apply: %v", r.NoopEvents, r.Notes)
	}
	var md strings.Builder
	res.Markdown(&md)
	t.Log("\n" + md.String())
	if !strings.Contains(md.String(), row) {
		t.Error("the table lacks the N=10 row")
	}
}
