package libvirtnet

import (
	"encoding/xml"
	"strings"
)

// Adopt takes over a network hostnet did not create that already is what the plan says: its
// config is redefined with hostnet's mark in <metadata> and nothing else, so the running
// network, its bridge and its guests are not touched (as `hostnet import live` needs).
const Adopt Action = "adopt"

// adoptable returns the Adopt change for foreign network l when it is defined, running
// and autostarted as planned, and its XML holds nothing beyond what hostnet models (so
// that the redefinition with the mark loses nothing).
func adoptable(d *Network, l *Live) (Change, bool) {
	c, changed := diffOne(d, l)
	if !changed || c.RestartNeeded || c.start || c.auto != nil || len(c.pgOps) > 0 {
		return Change{}, false
	}
	for _, a := range c.Attrs {
		if a.Name != "address" {
			return Change{}, false
		}
	}
	planned, err := d.XML(l.UUID)
	if err != nil || modelXML(planned) == "" || modelXML(planned) != modelXML(l.XML) {
		return Change{}, false
	}
	c.Action, c.define = Adopt, true
	c.Attrs = []AttrChange{{Name: "owner", Old: "(not managed by hostnet)", New: "hostnet:" + d.Address}}
	return c, true
}

// modelXML is a network config without its metadata, in one canonical spelling; "" when it
// does not parse.
func modelXML(doc string) string {
	var x netXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return ""
	}
	x.Metadata = nil
	b, err := xml.Marshal(x)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
