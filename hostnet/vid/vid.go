// Package vid owns sets of 802.1Q VLAN ids (1..4094) and their text form: lists of ids
// and "lo-hi" ranges as a plan writes them ("2-4094", "10,20,100-199") and as `bridge vlan`
// prints them. A Set is a fixed 512-byte bitmap, so no plan can make one grow.
package vid

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Min and Max bound a usable VLAN id: 0 means "no VLAN" and 4095 is reserved (802.1Q).
const (
	Min = 1
	Max = 4094
)

// Set is a set of VLAN ids.
type Set struct {
	w [64]uint64
}

// Valid reports whether v is a usable VLAN id.
func Valid(v int) bool { return v >= Min && v <= Max }

// Add puts v in the set; ids outside 1..4094 are ignored.
func (s *Set) Add(v int) {
	if Valid(v) {
		s.w[v>>6] |= 1 << (v & 63)
	}
}

// AddRange puts lo..hi (inclusive) in the set.
func (s *Set) AddRange(lo, hi int) {
	for v := max(lo, Min); v <= min(hi, Max); v++ {
		s.Add(v)
	}
}

// Remove takes v out of the set.
func (s *Set) Remove(v int) {
	if Valid(v) {
		s.w[v>>6] &^= 1 << (v & 63)
	}
}

// Has reports whether v is in the set.
func (s *Set) Has(v int) bool { return Valid(v) && s.w[v>>6]&(1<<(v&63)) != 0 }

// Len is the number of ids in the set.
func (s *Set) Len() int {
	n := 0
	for _, w := range s.w {
		n += bits.OnesCount64(w)
	}
	return n
}

// Empty reports a set with no id.
func (s *Set) Empty() bool { return s.w == [64]uint64{} }

// Union adds every id of o.
func (s *Set) Union(o *Set) {
	for i := range s.w {
		s.w[i] |= o.w[i]
	}
}

// Minus is s without the ids of o.
func (s Set) Minus(o *Set) Set {
	for i := range s.w {
		s.w[i] &^= o.w[i]
	}
	return s
}

// Each calls f for every id in ascending order.
func (s *Set) Each(f func(v int)) {
	for i, w := range s.w {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			f(i<<6 | b)
			w &^= 1 << b
		}
	}
}

// Range is lo..hi, inclusive.
type Range struct{ Lo, Hi int }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Ranges lists the set as maximal runs of consecutive ids, ascending.
func (s *Set) Ranges() []Range {
	var out []Range
	s.Each(func(v int) {
		if n := len(out); n > 0 && out[n-1].Hi == v-1 {
			out[n-1].Hi = v
			return
		}
		out = append(out, Range{v, v})
	})
	return out
}

// String is the set as "1,10-20,4094" ("" when empty).
func (s *Set) String() string {
	rs := s.Ranges()
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// ParseItem reads one element of a plan's list: "100", "2-4094" (or a comma-separated run
// of those). It refuses ids outside 1..4094 and reversed ranges.
func ParseItem(s string) ([]Range, error) {
	var out []Range
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%q is not a VLAN id or a range of them (write 100 or \"2-4094\")", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("%q is not a VLAN id or a range of them (write 100 or \"2-4094\")", part)
			}
		}
		if !Valid(a) || !Valid(b) {
			return nil, fmt.Errorf("%q is outside 1-4094 (0 means untagged and 4095 is reserved by 802.1Q)", part)
		}
		if b < a {
			return nil, fmt.Errorf("%q runs backwards; write %d-%d", part, b, a)
		}
		out = append(out, Range{a, b})
	}
	return out, nil
}

// Parse reads "1,10-20" into a set.
func Parse(s string) (Set, error) {
	var out Set
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	rs, err := ParseItem(s)
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		out.AddRange(r.Lo, r.Hi)
	}
	return out, nil
}

// MarshalText writes the set as String does (snapshots store sets this way).
func (s Set) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (s *Set) UnmarshalText(b []byte) error {
	x, err := Parse(string(b))
	if err != nil {
		return err
	}
	*s = x
	return nil
}
