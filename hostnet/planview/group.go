package planview

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/libvirtnet"
)

// The compact view: the instances of one for_each block (vlan.tenant["100"] ...
// vlan.tenant["599"]) that change alike — same action, same attributes changing, same
// reason — are one entry:
//
//	+ create 500 vlan.tenant[100..599] (bond0.100 … bond0.599)
//	    link    + bond0
//	    id      + 100 … 599
//
// An attribute whose value differs between instances shows the first and the last. Keys
// that are integers are written as ranges; others are listed, the list bounded.

// entry is one block of the view: one object, or a group of instances.
type entry struct {
	action, symbol, verb string
	kind                 string // "" for kernel objects, "libvirt network " for networks
	block                string // plan address without the instance key
	keys                 []string
	names                []string
	attrs                []attrGroup
	reasons              []string // "# ..." lines, shared by the group
	flaps                []string
	flapVerb             string
}

// attrGroup is one attribute across the instances of an entry.
type attrGroup struct {
	name         string
	olds, news   []string
	needs        string
	restart      bool
	restartLabel string
}

// splitAddress cuts `vlan.tenant["100"]` into `vlan.tenant` and `100`; ok is false for an
// address without an instance key.
func splitAddress(addr string) (block, key string, ok bool) {
	i := strings.IndexByte(addr, '[')
	if i < 0 || !strings.HasSuffix(addr, "]") {
		return addr, "", false
	}
	key = addr[i+1 : len(addr)-1]
	if k, err := strconv.Unquote(key); err == nil {
		key = k
	}
	return addr[:i], key, true
}

// grouper collects entries in order of first appearance.
type grouper struct {
	entries []*entry
	byKey   map[string]*entry
}

func (g *grouper) add(sig string, grouped bool, mk func() *entry, key, name string, attr func(e *entry)) {
	if g.byKey == nil {
		g.byKey = map[string]*entry{}
	}
	e := g.byKey[sig]
	if e == nil || !grouped {
		e = mk()
		g.entries = append(g.entries, e)
		if grouped {
			g.byKey[sig] = e
		}
	}
	e.keys = append(e.keys, key)
	e.names = append(e.names, name)
	attr(e)
}

func groupKernel(objs []engine.Change) []*entry {
	var g grouper
	for _, o := range objs {
		block, key, grouped := splitAddress(o.Address)
		var sig strings.Builder
		fmt.Fprintf(&sig, "%s|%s|%s", block, o.Action, o.Reason)
		for _, a := range o.Attrs {
			fmt.Fprintf(&sig, "|%s:%t:%t:%s", a.Name, a.Old == "", a.New == "", a.Needs)
		}
		o := o
		g.add(sig.String(), grouped, func() *entry {
			e := &entry{action: string(o.Action), symbol: symbol[o.Action], verb: verb[o.Action], block: block, flapVerb: "links that go down and up"}
			if o.Action == engine.Delete {
				e.flapVerb = "links removed"
			}
			if !grouped {
				e.block = o.Address
			}
			for _, a := range o.Attrs {
				e.attrs = append(e.attrs, attrGroup{name: a.Name, needs: a.Needs})
			}
			if o.Reason != "" {
				e.reasons = []string{o.Reason}
			}
			return e
		}, key, o.Name, func(e *entry) {
			for i, a := range o.Attrs {
				e.attrs[i].olds = append(e.attrs[i].olds, a.Old)
				e.attrs[i].news = append(e.attrs[i].news, a.New)
			}
			e.flaps = append(e.flaps, o.Flaps...)
		})
	}
	return g.entries
}

func groupNetworks(changes []libvirtnet.Change) []*entry {
	var g grouper
	for _, c := range changes {
		block, key, grouped := splitAddress(c.Address)
		if c.Address == "" || len(c.Guests) > 0 {
			grouped = false // guests are named per network
		}
		var sig strings.Builder
		fmt.Fprintf(&sig, "%s|%s", block, c.Action)
		for _, a := range c.Attrs {
			fmt.Fprintf(&sig, "|%s:%t:%t:%t", a.Name, a.Old == "", a.New == "", a.Restart)
		}
		c := c
		g.add(sig.String(), grouped, func() *entry {
			e := &entry{action: string(c.Action), symbol: netSymbol[c.Action], verb: netVerb[c.Action], kind: "libvirt network ",
				block: block, flapVerb: "guests attached"}
			if !grouped {
				e.block = c.Name
				if c.Address != "" {
					e.block += " (" + c.Address + ")"
				}
			}
			for _, a := range c.Attrs {
				e.attrs = append(e.attrs, attrGroup{name: a.Name, restart: a.Restart})
			}
			return e
		}, key, c.Name, func(e *entry) {
			for i, a := range c.Attrs {
				e.attrs[i].olds = append(e.attrs[i].olds, a.Old)
				e.attrs[i].news = append(e.attrs[i].news, a.New)
			}
			g := append([]string(nil), c.Guests...)
			sort.Strings(g)
			e.flaps = append(e.flaps, g...)
		})
	}
	return g.entries
}

func writeGroups(b *strings.Builder, entries []*entry, opts Options) {
	for _, e := range entries {
		b.WriteString("\n")
		n := len(e.keys)
		switch {
		case n == 1 && e.kind == "":
			fmt.Fprintf(b, "  %s %s %s", paint(opts, e.action, e.symbol), e.verb, e.block)
			if e.keys[0] != "" {
				// a single instance keeps its key as the plan writes it
				fmt.Fprintf(b, "[%q]", e.keys[0])
			}
			if name := e.names[0]; name != "" && !strings.HasSuffix(e.block, "."+name) {
				fmt.Fprintf(b, " (%s)", name)
			}
		case n == 1:
			fmt.Fprintf(b, "  %s %s %s%s", paint(opts, e.action, e.symbol), e.verb, e.kind, e.block)
		default:
			fmt.Fprintf(b, "  %s %s %d %s%s[%s] (%s)", paint(opts, e.action, e.symbol), e.verb, n, e.kind, e.block, keyRanges(e.keys), span(e.names))
		}
		b.WriteString("\n")
		width := 0
		for _, a := range e.attrs {
			width = max(width, len(a.name))
		}
		for _, a := range e.attrs {
			v := value(engine.AttrChange{Old: span(a.olds), New: span(a.news), Needs: a.needs})
			if a.restart {
				v += "  (needs a network restart)"
			}
			b.WriteString("      " + pad(a.name, width) + "  " + v + "\n")
		}
		for _, r := range e.reasons {
			b.WriteString("      # " + r + "\n")
		}
		if flaps := dedupe(e.flaps); len(flaps) > 0 {
			b.WriteString("      # " + e.flapVerb + ": " + list(flaps) + "\n")
		}
	}
}

// span is the one value all of vals share, or "first … last" when they differ.
func span(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	first, last := vals[0], vals[len(vals)-1]
	for _, v := range vals[1:] {
		if v != first {
			return first + " … " + last
		}
	}
	return first
}

// maxRanges bounds the ranges (or keys) one header lists.
const maxRanges = 6

// keyRanges writes instance keys compactly: integer keys as ranges ("100..199, 300"),
// others quoted, at most maxRanges of them and a count of the rest.
func keyRanges(keys []string) string {
	nums := make([]int, 0, len(keys))
	for _, k := range keys {
		n, err := strconv.Atoi(k)
		if err != nil {
			nums = nil
			break
		}
		nums = append(nums, n)
	}
	var parts []string
	if nums != nil {
		sort.Ints(nums)
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			if j > i {
				parts = append(parts, fmt.Sprintf("%d..%d", nums[i], nums[j]))
			} else {
				parts = append(parts, strconv.Itoa(nums[i]))
			}
			i = j + 1
		}
	} else {
		for _, k := range keys {
			parts = append(parts, strconv.Quote(k))
		}
	}
	if len(parts) > maxRanges {
		return strings.Join(parts[:maxRanges], ", ") + fmt.Sprintf(", … %d more", len(parts)-maxRanges)
	}
	return strings.Join(parts, ", ")
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// NameList is a bounded list of names for one line: "a, b, c and 497 more".
func NameList(names []string) string { return list(names) }

// colors of the action symbols, as Terraform's: green create, yellow update, red delete.
var colors = map[string]string{"create": "32", "update": "33", "replace": "35", "delete": "31"}

func paint(opts Options, action, s string) string {
	if !opts.Color || colors[action] == "" {
		return s
	}
	return "\033[" + colors[action] + "m" + s + "\033[0m"
}
