package vid

import "testing"

func TestParseAndRanges(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{in: "2-4094", want: "2-4094"},
		{in: "100", want: "100"},
		{in: "10,20, 11-19,1", want: "1,10-20"},
		{in: "", want: ""},
		{in: "0", err: true},
		{in: "4095", err: true},
		{in: "1-4095", err: true},
		{in: "20-10", err: true},
		{in: "x", err: true},
		{in: "5-", err: true},
	} {
		s, err := Parse(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("Parse(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && s.String() != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, s.String(), tc.want)
		}
	}
}

func TestSetOps(t *testing.T) {
	var a, b Set
	a.AddRange(1, 4094)
	b.AddRange(2, 4093)
	if n := a.Len(); n != 4094 {
		t.Fatalf("Len = %d", n)
	}
	d := a.Minus(&b)
	if got := d.String(); got != "1,4094" {
		t.Fatalf("Minus = %q", got)
	}
	a.Add(0)
	a.Add(4095)
	if a.Has(0) || a.Has(4095) || a.Len() != 4094 {
		t.Fatal("ids outside 1..4094 got in")
	}
	d.Remove(1)
	d.Union(&Set{})
	if got := d.String(); got != "4094" || d.Empty() {
		t.Fatalf("after Remove = %q", got)
	}
}
