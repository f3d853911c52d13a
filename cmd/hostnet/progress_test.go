package main

import (
	"bytes"
	"strings"
	"testing"
)

// Progress reaches only terminals: a pipe or a file gets nothing.
func TestProgressQuietWhenNotATerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false)
	p.steps("Applying: kernel operations", 0, 10, "nics")
	p.steps("Applying: kernel operations", 10, 10, "final")
	p.wait("booting")
	p.done()
	if b.Len() != 0 {
		t.Errorf("wrote %q to a non-terminal", b.String())
	}
}

// On a terminal: the line is redrawn in place (carriage return, erase line) and cleared
// at the end, so the next output starts on a clean line; the first and last counts are
// always drawn, whatever the rate limit.
func TestProgressRedrawsAndClears(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, on: true}
	p.steps("libvirt networks", 0, 500, "")
	for i := 1; i < 500; i++ {
		p.steps("libvirt networks", i, 500, "")
	}
	p.steps("libvirt networks", 500, 500, "")
	p.done()
	out := b.String()
	if !strings.HasPrefix(out, "\r\033[Klibvirt networks: 0/500") || !strings.Contains(out, "libvirt networks: 500/500") {
		t.Errorf("output %q", out)
	}
	if !strings.HasSuffix(out, "\r\033[K") || strings.Contains(out, "\n") {
		t.Errorf("not cleared in place: %q", out)
	}
	if n := strings.Count(out, "\r"); n > 50 {
		t.Errorf("%d redraws for 500 quick steps: not rate-limited", n)
	}
}

func TestVersionShort(t *testing.T) {
	for _, c := range []struct {
		b    buildInfo
		want string
	}{
		{buildInfo{Version: "(devel)"}, "(devel)"},
		{buildInfo{Version: "(devel)", Revision: "4b28ebc2e1a41813a4b26efb7513e899e0e0be87", Modified: true}, "(devel) 4b28ebc2e1a4+dirty"},
		{buildInfo{Version: "v0.0.0-20261206135219-4b28ebc2e1a4", Revision: "4b28ebc2e1a41813a4b26efb7513e899e0e0be87"}, "v0.0.0-20261206135219-4b28ebc2e1a4"},
		{buildInfo{Version: "v0.0.0-20261206135219-4b28ebc2e1a4+dirty", Revision: "4b28ebc2e1a41813", Modified: true}, "v0.0.0-20261206135219-4b28ebc2e1a4+dirty"},
		{buildInfo{Version: "v1.2.3", Revision: "4b28ebc2e1a41813"}, "v1.2.3 4b28ebc2e1a4"},
	} {
		if got := c.b.short(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.b, got, c.want)
		}
	}
}
