// Package validate checks a decoded host plan against what the kernel and the upstream
// switch can really do: bonding option/mode rules, bridge-over-bond rules, the structure of
// the interface stack, names, MTUs, addresses and routes. It reads only the plan model;
// syntax, references, value spellings and ranges are the decoder's (hostnet/plan).
//
// Every diagnostic names the offending attribute (or the block header), says why the
// kernel or the switch objects and what to do, and carries its rule ID (see Rules, RuleOf).
package validate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/plan"
)

// Plan runs every rule on a decoded plan. A nil plan (the decoder failed) has no findings.
func Plan(p *plan.Plan) hcl.Diagnostics {
	if p == nil {
		return nil
	}
	c := newChecker(p)
	for _, check := range checks {
		check(c)
	}
	// Findings inside a block whose body had decoder errors may only follow from them (a
	// misspelt miimon: "no link monitoring"): they are left out, and come back, if
	// still true, once the block is fixed.
	var out hcl.Diagnostics
	for _, d := range c.finish() {
		if !p.InIncomplete(d.Subject) {
			out = append(out, d)
		}
	}
	return out
}

// checks run in this order; each reports through c.report.
var checks = []func(*checker){
	checkBondOptions,
	checkBridgedBonds,
	checkBridges,
	checkSwitch,
	checkStructure,
	checkNames,
	checkVLANs,
	checkMTU,
	checkNetworks,
	checkAddresses,
	checkRoutes,
	checkBridgeFDB,
	checkBridgeVLANs,
	checkPortGroupVLANs,
	checkARPPath,
}

type checker struct {
	p     *plan.Plan
	diags hcl.Diagnostics
	about []string // per diagnostic: the address of the object it is about

	slaveOf   map[*plan.NIC][]*plan.Bond        // NIC -> bonds listing it (repeats kept)
	portOf    map[plan.Interface][]*plan.Bridge // interface -> bridges listing it (repeats kept)
	bridgedBy map[*plan.Bond][]plan.Bridging    // bond -> bridges above it
	optBad    map[*plan.Bond]map[string]bool    // options already reported as not valid for the mode
	seen      map[string]int                    // dedup key -> index in diags
	more      map[int]int                       // index in diags -> further instances
}

func newChecker(p *plan.Plan) *checker {
	c := &checker{
		p:         p,
		slaveOf:   map[*plan.NIC][]*plan.Bond{},
		portOf:    map[plan.Interface][]*plan.Bridge{},
		bridgedBy: map[*plan.Bond][]plan.Bridging{},
		optBad:    map[*plan.Bond]map[string]bool{},
		seen:      map[string]int{},
		more:      map[int]int{},
	}
	for _, b := range p.Bonds {
		for _, s := range b.Slaves {
			c.slaveOf[s.NIC] = append(c.slaveOf[s.NIC], b)
		}
	}
	for _, br := range p.Bridges {
		for _, port := range br.Ports {
			c.portOf[port] = append(c.portOf[port], br)
		}
	}
	for _, bg := range p.BondsUnderBridges() {
		c.bridgedBy[bg.Bond] = append(c.bridgedBy[bg.Bond], bg)
	}
	return c
}

// loc is where a diagnostic points: the object it is about (its block address) and the
// range of the offending attribute or the block header.
type loc struct {
	addr string
	rng  hcl.Range
}

// attrOf locates attribute name of an object (its block header when not written).
func attrOf(s *plan.Source, name string) loc { return loc{s.Addr, s.Attr(name)} }

// report adds a diagnostic of rule id. Instances expanded from one for_each block share
// their ranges: when a rule fires for several instances at one range, it is reported once
// with a count. Several findings about one object at one range are all kept.
func (c *checker) report(id string, at loc, format string, args ...any) {
	r, ok := ruleByID[id]
	if !ok {
		panic("validate: unknown rule " + id)
	}
	key := id + "\x00" + at.rng.String()
	if i, dup := c.seen[key]; dup && c.about[i] != at.addr && baseAddr(c.about[i]) == baseAddr(at.addr) {
		c.more[i]++
		return
	}
	if _, dup := c.seen[key]; !dup {
		c.seen[key] = len(c.diags)
	}
	c.about = append(c.about, at.addr)
	subj := at.rng
	c.diags = append(c.diags, &hcl.Diagnostic{
		Severity: r.Severity,
		Summary:  r.Summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &subj,
		Extra:    RuleID(id),
	})
}

// baseAddr strips the for_each key: `vlan.tenant["100"]` -> `vlan.tenant`.
func baseAddr(addr string) string {
	if i := strings.IndexByte(addr, '['); i >= 0 {
		return addr[:i]
	}
	return addr
}

func (c *checker) finish() hcl.Diagnostics {
	for i, n := range c.more {
		what := "instances of this block have"
		if n == 1 {
			what = "instance of this block has"
		}
		c.diags[i].Detail += fmt.Sprintf(" (%d more %s the same problem.)", n, what)
	}
	sort.SliceStable(c.diags, func(i, j int) bool {
		a, b := c.diags[i].Subject, c.diags[j].Subject
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return c.diags
}

// name describes an interface for messages: its block address and, when it differs from
// the label, its kernel name.
func name(i plan.Interface) string {
	ic := i.Common()
	return describe(ic.Addr, ic.Name)
}

func describe(addr, kname string) string {
	if kname == "" || addr == string(kindOfAddr(addr))+"."+kname {
		return addr
	}
	return fmt.Sprintf("%s (%q)", addr, kname)
}

func kindOfAddr(addr string) plan.Kind {
	for i := 0; i < len(addr); i++ {
		if addr[i] == '.' {
			return plan.Kind(addr[:i])
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
