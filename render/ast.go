package render

// The AST mirrors what nomnoml 1.7.0's parse(src) returns, field for field, so that
// `statusmap map -parse` can be compared with nomnoml as JSON values.
//
// Slices are never nil and Attr is never nil in a parsed diagram, so they encode as
// [] and {} exactly like nomnoml. An empty ID means nomnoml's `undefined` (a node
// such as `[]` or `[|x]` has no id); JSON omits it then, as JSON.stringify does.

// Diagram is a parsed nomnoml source.
type Diagram struct {
	Root       *Part       `json:"root"`
	Directives []Directive `json:"directives"`
}

// Part is a compartment: text lines, nodes and the associations between them.
type Part struct {
	Nodes  []*Node  `json:"nodes"`
	Assocs []*Assoc `json:"assocs"`
	Lines  []string `json:"lines"`
}

// Node is a classifier: [<type attrs> part | part ...].
type Node struct {
	Parts []*Part           `json:"parts"`
	Attr  map[string]string `json:"attr"`
	ID    string            `json:"id,omitempty"`
	Type  string            `json:"type"`
}

// Assoc is an association between two nodes of one part, by id.
type Assoc struct {
	Type       string `json:"type"`
	Start      string `json:"start,omitempty"`
	End        string `json:"end,omitempty"`
	StartLabel Label  `json:"startLabel"`
	EndLabel   Label  `json:"endLabel"`
}

// Label is an edge end label.
type Label struct {
	Text string `json:"text"`
}

// Directive is a `#key: value` line.
type Directive struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// NodeStatus is the live overlay of one node: render knows nothing of checks, only
// a status word (ok, error, warn, skip, unknown, paused) and lines to add in a compartment.
type NodeStatus struct {
	Status string
	Lines  []string
}
