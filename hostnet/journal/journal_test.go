package journal

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestPrefixedLines(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  string
	}{
		{slog.LevelError, "<3>msg=\"boot apply failed\" plan=/etc/hostnet/plan\n"},
		{slog.LevelWarn, "<4>msg=\"boot apply failed\" plan=/etc/hostnet/plan\n"},
		{LevelNotice, "<5>msg=\"boot apply failed\" plan=/etc/hostnet/plan\n"},
		{slog.LevelInfo, "<6>msg=\"boot apply failed\" plan=/etc/hostnet/plan\n"},
		{slog.LevelDebug, "<7>msg=\"boot apply failed\" plan=/etc/hostnet/plan\n"},
	} {
		var b bytes.Buffer
		NewLogger(&b, true).With("plan", "/etc/hostnet/plan").Log(t.Context(), tc.level, "boot apply failed")
		if b.String() != tc.want {
			t.Errorf("level %v: got %q, want %q", tc.level, b.String(), tc.want)
		}
	}
}

func TestPlainLinesHaveNoPrefix(t *testing.T) {
	var b bytes.Buffer
	NewLogger(&b, false).Error("x")
	if bytes.HasPrefix(b.Bytes(), []byte("<")) || !bytes.Contains(b.Bytes(), []byte("level=ERROR")) {
		t.Errorf("plain line: %q", b.String())
	}
}

func TestStreamNeedsMatchingStderr(t *testing.T) {
	t.Setenv("JOURNAL_STREAM", "1:2")
	if Stream() {
		t.Error("JOURNAL_STREAM naming another file counts as the journal")
	}
	t.Setenv("JOURNAL_STREAM", "")
	if Stream() {
		t.Error("no JOURNAL_STREAM counts as the journal")
	}
}
