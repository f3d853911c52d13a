package labnet

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
