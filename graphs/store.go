package graphs

import (
	"errors"
	"fmt"

	"github.com/dominikbraun/graph"
)

// kinds is the set of dependency kinds one library edge carries. The library holds at most one
// edge per ordered pair of services, so a service that is both ordered after and in conflict with
// another (a legitimate pair, as in systemd) has one edge with two kinds.
type kinds uint8

const (
	requires  kinds = 1 << iota // Requires= + BindsTo= + After=
	after                       // After= only; never set together with requires or wants
	conflicts                   // Conflicts=
	wants                       // Wants= + After=; never set together with requires
	ordering  = requires | after | wants
	pulls     = requires | wants // what a start brings up first
)

// kindAttribute is the "kind" attribute of an edge for each set of kinds, in the spelling the
// library graph shows ("after+conflicts" for an edge that orders and conflicts).
var kindAttribute = map[kinds]string{
	requires:             KindRequires,
	after:                KindAfter,
	conflicts:            KindConflicts,
	requires | conflicts: KindRequires + "+" + KindConflicts,
	after | conflicts:    KindAfter + "+" + KindConflicts,
	wants:                KindWants,
	wants | conflicts:    KindWants + "+" + KindConflicts,
}

// kindAttributes holds one shared, read-only attribute map per set of kinds, so that listing
// 300k edges allocates no map per edge; kindOption adds an edge with that shared map.
var (
	kindAttributes = map[kinds]map[string]string{}
	kindOption     = map[kinds]func(*graph.EdgeProperties){}
	kindOf         = map[string]kinds{}
)

func init() {
	for k, name := range kindAttribute {
		attrs := map[string]string{"kind": name}
		kindAttributes[k] = attrs
		kindOption[k] = graph.EdgeAttributes(attrs)
		kindOf[name] = k
	}
}

// errReadOnly is returned for removals: the graph of a config set is built once and never edited.
var errReadOnly = errors.New("the service graph is read-only once built")

// arc is one end of a library edge as the store keeps it: the vertex at the other end and the
// edge's kinds.
type arc struct {
	peer int32
	kind kinds
}

// store is the storage behind the library graph (a graph.Store given to graph.NewWithStore). The
// library's default store keeps two maps of maps with an attribute map per edge (a build of 100k
// services allocated 379 MB); this one keeps each vertex's edges in two slices indexed by a dense
// id (a built graph of 100k services and 290k edges holds 23 MB), and a vertex's neighbours are
// read without building anything. Ids follow insertion order: Build inserts services sorted by
// name, so sorting ids sorts names.
//
// It keeps vertex values and edge kinds only: vertex properties are not stored, and an edge's
// attributes must be exactly {"kind": K} with K from kindAttribute. Not safe for concurrent
// writers; concurrent readers are safe once building is done.
type store struct {
	names []string
	ids   map[string]int32
	out   [][]arc             // out[i]: edges from i, in the order they were added
	in    [][]arc             // in[i]: edges into i, in the order they were added
	pairs map[uint64][2]int32 // source<<32|target -> positions of the edge in out[source], in[target]
	size  int
}

func newStore(vertices int) *store {
	return &store{
		names: make([]string, 0, vertices),
		ids:   make(map[string]int32, vertices),
		out:   make([][]arc, 0, vertices),
		in:    make([][]arc, 0, vertices),
		pairs: make(map[uint64][2]int32, vertices),
	}
}

func pairKey(from, to int32) uint64 { return uint64(uint32(from))<<32 | uint64(uint32(to)) }

// id returns the dense id of a vertex, or ErrVertexNotFound.
func (s *store) id(hash string) (int32, error) {
	i, ok := s.ids[hash]
	if !ok {
		return 0, graph.ErrVertexNotFound
	}
	return i, nil
}

func (s *store) AddVertex(hash string, value string, _ graph.VertexProperties) error {
	if _, ok := s.ids[hash]; ok {
		return graph.ErrVertexAlreadyExists
	}
	s.ids[hash] = int32(len(s.names))
	s.names = append(s.names, value)
	s.out = append(s.out, nil)
	s.in = append(s.in, nil)
	return nil
}

func (s *store) Vertex(hash string) (string, graph.VertexProperties, error) {
	i, err := s.id(hash)
	if err != nil {
		return "", graph.VertexProperties{}, err
	}
	return s.names[i], graph.VertexProperties{}, nil
}

func (s *store) RemoveVertex(string) error { return errReadOnly }

func (s *store) ListVertices() ([]string, error) { return append([]string(nil), s.names...), nil }

func (s *store) VertexCount() (int, error) { return len(s.names), nil }

// edgeKind reads the kinds of an edge from its attributes.
func edgeKind(e graph.Edge[string]) (kinds, error) {
	k, ok := kindOf[e.Properties.Attributes["kind"]]
	if !ok || len(e.Properties.Attributes) != 1 {
		return 0, fmt.Errorf("edge %s -> %s: attributes %v: want one \"kind\" attribute", e.Source, e.Target, e.Properties.Attributes)
	}
	return k, nil
}

func (s *store) AddEdge(source, target string, e graph.Edge[string]) error {
	from, err := s.id(source)
	if err != nil {
		return fmt.Errorf("source vertex %s: %w", source, err)
	}
	to, err := s.id(target)
	if err != nil {
		return fmt.Errorf("target vertex %s: %w", target, err)
	}
	key := pairKey(from, to)
	if _, ok := s.pairs[key]; ok {
		return graph.ErrEdgeAlreadyExists
	}
	k, err := edgeKind(e)
	if err != nil {
		return err
	}
	s.pairs[key] = [2]int32{int32(len(s.out[from])), int32(len(s.in[to]))}
	s.out[from] = append(s.out[from], arc{to, k})
	s.in[to] = append(s.in[to], arc{from, k})
	s.size++
	return nil
}

func (s *store) UpdateEdge(source, target string, e graph.Edge[string]) error {
	from, to, pos, err := s.find(source, target)
	if err != nil {
		return err
	}
	k, err := edgeKind(e)
	if err != nil {
		return err
	}
	s.out[from][pos[0]].kind = k
	s.in[to][pos[1]].kind = k
	return nil
}

func (s *store) RemoveEdge(string, string) error { return errReadOnly }

func (s *store) find(source, target string) (from, to int32, pos [2]int32, err error) {
	from, ok := s.ids[source]
	if !ok {
		return 0, 0, pos, graph.ErrEdgeNotFound
	}
	to, ok = s.ids[target]
	if !ok {
		return 0, 0, pos, graph.ErrEdgeNotFound
	}
	pos, ok = s.pairs[pairKey(from, to)]
	if !ok {
		return 0, 0, pos, graph.ErrEdgeNotFound
	}
	return from, to, pos, nil
}

// Edge returns the edge with a fresh attribute map: the library's UpdateEdge writes into it.
func (s *store) Edge(source, target string) (graph.Edge[string], error) {
	from, _, pos, err := s.find(source, target)
	if err != nil {
		return graph.Edge[string]{}, err
	}
	k := s.out[from][pos[0]].kind
	return graph.Edge[string]{Source: source, Target: target,
		Properties: graph.EdgeProperties{Attributes: map[string]string{"kind": kindAttribute[k]}}}, nil
}

// ListEdges returns every edge, sources in id order, each source's edges in the order they were
// added. The attribute maps are shared between edges of the same kinds: read them, never write.
func (s *store) ListEdges() ([]graph.Edge[string], error) {
	edges := make([]graph.Edge[string], 0, s.size)
	for from, arcs := range s.out {
		for _, a := range arcs {
			edges = append(edges, graph.Edge[string]{Source: s.names[from], Target: s.names[a.peer],
				Properties: graph.EdgeProperties{Attributes: kindAttributes[a.kind]}})
		}
	}
	return edges, nil
}
