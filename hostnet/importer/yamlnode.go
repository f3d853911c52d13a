package importer

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxYAMLNodes bounds a YAML document (anchors and aliases can make a small file expand).
const maxYAMLNodes = 200000

// yamlDoc parses b into its root mapping node, or reports why not.
func yamlDoc(d *Doc, path string, b []byte) *yaml.Node {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		line := 0
		if msg := err.Error(); strings.HasPrefix(msg, "yaml: line ") {
			rest := strings.TrimPrefix(msg, "yaml: line ")
			if n, err := strconv.Atoi(rest[:max(0, strings.IndexByte(rest, ':'))]); err == nil {
				line = n
			}
		}
		d.errorf(Origin{path, line}, "not YAML: %v", err)
		return nil
	}
	if root.Kind == 0 {
		return nil // empty file
	}
	n := 0
	var count func(x *yaml.Node) bool
	count = func(x *yaml.Node) bool {
		n++
		if n > maxYAMLNodes {
			return false
		}
		if x.Kind == yaml.AliasNode {
			d.errorf(Origin{path, x.Line}, "YAML aliases are not followed")
			return false
		}
		for _, c := range x.Content {
			if !count(c) {
				return false
			}
		}
		return true
	}
	if !count(&root) {
		if n > maxYAMLNodes {
			d.errorf(Origin{File: path}, "more than %d YAML nodes: not read", maxYAMLNodes)
		}
		return nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		d.errorf(Origin{path, doc.Line}, "the document is not a mapping")
		return nil
	}
	return doc
}

// ykv is one key/value pair of a mapping node.
type ykv struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

func pairs(m *yaml.Node) []ykv {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]ykv, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, ykv{m.Content[i].Value, m.Content[i], m.Content[i+1]})
	}
	return out
}

func get(m *yaml.Node, key string) *yaml.Node {
	for _, p := range pairs(m) {
		if p.key == key {
			return p.v
		}
	}
	return nil
}

// scalars is a sequence of scalars (or one scalar) as strings.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

func yBool(n *yaml.Node) (bool, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

func yInt(n *yaml.Node) (int, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	return v, err == nil
}
