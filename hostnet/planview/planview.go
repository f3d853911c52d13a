// Package planview renders engine.Changes as plain text for a terminal:
//
//   - create              new object
//     ~ update in place     attributes change, the link stays up
//     -/+ replace           the object is taken down (or deleted) and set up again; the links
//     that flap are listed, with the reason
//   - delete              a marked object the plan no longer has
//     = adopt               an existing link hostnet did not create, already as planned: only
//     the ownership mark is written
//
// Objects without changes are not shown. Text is the full view, one entry per object;
// TextWith without Verbose is the compact view, which groups the instances of one for_each
// block that change alike into one entry (see group.go), so a 500-VLAN plan fits a
// screen. Colour (Options.Color) is ANSI on the action symbols only.
package planview

import (
	"fmt"
	"io"
	"strings"

	"github.com/hostnet/hostnet/hostnet/engine"
)

// MaxFlaps is how many flapping links are named before "and N more".
var MaxFlaps = 8

var symbol = map[engine.Action]string{
	engine.Create:  "+",
	engine.Update:  "~",
	engine.Replace: "-/+",
	engine.Delete:  "-",
	engine.Adopt:   "=",
}

var verb = map[engine.Action]string{
	engine.Create:  "create",
	engine.Update:  "update in place",
	engine.Replace: "replace",
	engine.Delete:  "delete",
	engine.Adopt:   "adopt",
}

// Render writes the changes as text.
func Render(w io.Writer, ch *engine.Changes) error {
	_, err := io.WriteString(w, Text(ch))
	return err
}

// Options choose the view.
type Options struct {
	// Verbose shows every object on its own; otherwise for_each instances are grouped.
	Verbose bool
	// Color marks the action symbols with ANSI colours (for a terminal).
	Color bool
}

// RenderWith writes TextWith.
func RenderWith(w io.Writer, ch *engine.Changes, opts Options) error {
	_, err := io.WriteString(w, TextWith(ch, opts))
	return err
}

// Text renders the changes as text, every object on its own (the full view).
func Text(ch *engine.Changes) string { return TextWith(ch, Options{Verbose: true}) }

// TextWith renders the changes as text in the view opts choose.
func TextWith(ch *engine.Changes, opts Options) string {
	var b strings.Builder
	objs := ch.ChangedObjects()
	if len(objs) == 0 {
		b.WriteString("No changes. The live network matches the plan.\n")
		return b.String()
	}
	b.WriteString("hostnet will make these changes:\n")
	if !opts.Verbose {
		writeGroups(&b, groupKernel(objs), opts)
	}
	for _, o := range objs {
		if !opts.Verbose {
			break
		}
		b.WriteString("\n")
		head := fmt.Sprintf("  %s %s %s", paint(opts, string(o.Action), symbol[o.Action]), verb[o.Action], o.Address)
		if o.Name != "" && !strings.HasSuffix(o.Address, "."+o.Name) {
			head += " (" + o.Name + ")"
		}
		b.WriteString(head + "\n")
		width := 0
		for _, a := range o.Attrs {
			width = max(width, len(a.Name))
		}
		for _, a := range o.Attrs {
			b.WriteString("      " + pad(a.Name, width) + "  " + value(a) + "\n")
		}
		if o.Reason != "" {
			b.WriteString("      # " + o.Reason + "\n")
		}
		if len(o.Flaps) > 0 {
			if o.Action == engine.Delete {
				b.WriteString("      # links removed: " + list(o.Flaps) + "\n")
			} else {
				b.WriteString("      # links that go down and up: " + list(o.Flaps) + "\n")
			}
		}
		if len(o.Unplugged) > 0 {
			b.WriteString("      # guest ports unplugged (re-plug their guests): " + list(o.Unplugged) + "\n")
		}
	}
	s := ch.Summary
	adopt := ""
	if s.Adopt > 0 {
		adopt = fmt.Sprintf("%d to adopt, ", s.Adopt)
	}
	fmt.Fprintf(&b, "\nPlan: %s%d to create, %d to update in place, %d to replace, %d to delete (%d kernel operations).\n",
		adopt, s.Create, s.Update, s.Replace, s.Delete, ch.NumSteps)
	return b.String()
}

func pad(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }

func value(a engine.AttrChange) string {
	var v string
	switch {
	case a.Old == "" && a.New != "":
		v = "+ " + a.New
	case a.New == "" && a.Old != "":
		v = "- " + a.Old
	default:
		v = a.Old + " → " + a.New
	}
	if a.Needs != "" {
		v += "  (needs " + a.Needs + ")"
	}
	return v
}

func list(names []string) string {
	if len(names) <= MaxFlaps {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:MaxFlaps], ", ") + fmt.Sprintf(" and %d more", len(names)-MaxFlaps)
}
