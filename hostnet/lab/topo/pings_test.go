package topo

import (
	"testing"
	"time"
)

// TestGapAfter: the figures of the failback measurement come from here.
func TestGapAfter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	// requests every 10 ms from 0 to 90; reply 1 ms later unless lost
	build := func(lost ...int) *Pings {
		p := &Pings{Finished: ms(300)}
		for i := 0; i < 10; i++ {
			p.Sent = append(p.Sent, ms(10*i))
			p.Replied = append(p.Replied, ms(10*i+1))
		}
		for _, i := range lost {
			p.Replied[i] = time.Time{}
		}
		return p
	}
	for _, tc := range []struct {
		name      string
		p         *Pings
		after     time.Time
		gap       time.Duration
		recovered bool
	}{
		{"no loss", build(), ms(35), 10 * time.Millisecond, true},
		{"outage after t", build(4, 5, 6), ms(35), 40 * time.Millisecond, true},
		{"outage before t is ignored", build(1, 2), ms(35), 10 * time.Millisecond, true},
		{"never recovers: open to the end", build(5, 6, 7, 8, 9), ms(35), 259 * time.Millisecond, false},
		{"a reply just after t does not hide the open outage", build(6, 7, 8, 9), ms(45), 249 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gap, rec := tc.p.GapAfter(tc.after)
			if gap != tc.gap || rec != tc.recovered {
				t.Errorf("GapAfter = %v, %v; want %v, %v", gap, rec, tc.gap, tc.recovered)
			}
		})
	}
}

// TestMaxGap: PingStats' MaxGap, computed from the record.
func TestMaxGap(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	build := func(replies ...int) *Pings { // reply times in ms, -1 for none
		p := &Pings{Interval: 10 * time.Millisecond, Finished: ms(2000)}
		for i, r := range replies {
			p.Sent = append(p.Sent, ms(10*i))
			if r >= 0 {
				p.Replied = append(p.Replied, ms(r))
			} else {
				p.Replied = append(p.Replied, time.Time{})
			}
		}
		return p
	}
	for _, tc := range []struct {
		name string
		p    *Pings
		want time.Duration
	}{
		{"no loss", build(1, 11, 21, 31), 10 * time.Millisecond},
		{"first reply late", build(25, 26, 27, 31), 25 * time.Millisecond},
		{"loss in the middle", build(1, -1, -1, 31), 30 * time.Millisecond},
		{"replies out of order", build(1, 40, 21, 41), 20 * time.Millisecond},
		{"tail lost: the schedule it covers", build(1, 11, -1, -1, -1, -1), 40 * time.Millisecond},
		{"nothing came back", build(-1, -1, -1), 30 * time.Millisecond},
		{"nothing sent", build(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.MaxGap(); got != tc.want {
				t.Errorf("MaxGap = %v, want %v", got, tc.want)
			}
		})
	}
}
