package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
)

// This file compares Avro payload schemas by Avro's own schema resolution
// (the specification's "Schema Resolution" section): data written with the
// writer's schema must be readable with the reader's. Parsing is hamba/avro's;
// the resolution walk is ours, so each problem can name the field it is in.

// IsAvroFormat tells whether an AsyncAPI schemaFormat is Avro
// (application/vnd.apache.avro;version=1.9.0 and its +json and +yaml forms).
func IsAvroFormat(format string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(format), ";")
	return strings.HasPrefix(strings.TrimSpace(mt), "application/vnd.apache.avro")
}

// parseAvro reads a raw payload: the schema as a decoded JSON/YAML value, or
// as JSON text in a string. Each call gets its own cache: the two versions
// of a schema share names, and hamba's default cache is process-wide.
func parseAvro(raw any) (avro.Schema, error) {
	var text []byte
	switch v := raw.(type) {
	case string:
		text = []byte(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding the schema as JSON: %w", err)
		}
		text = b
	}
	return avro.ParseBytesWithCache(text, "", &avro.SchemaCache{})
}

// unresolvedRef tells whether a raw payload is only a $ref: AsyncAPI leaves
// references inside other formats to those formats, and accord does not
// fetch Avro schema files or registries.
func unresolvedRef(raw any) bool {
	m, ok := raw.(map[string]any)
	_, has := m["$ref"]
	return ok && has && len(m) == 1
}

// avroProblem is one place where the writer's data cannot be read.
type avroProblem struct {
	at            []string // field names from the payload root
	before, after string   // base and head renderings
	msg           string
}

// avroResolver walks a reader and a writer schema together.
type avroResolver struct {
	// readerIsHead says which side is base, to render before/after.
	readerIsHead bool
	seen         map[[2]string]bool // named pairs already walked (recursion)
	out          []avroProblem
}

func (r *avroResolver) report(at []string, reader, writer avro.Schema, msg string) {
	p := avroProblem{at: slices.Clone(at), msg: msg}
	p.before, p.after = avroType(writer), avroType(reader)
	if !r.readerIsHead {
		p.before, p.after = p.after, p.before
	}
	r.out = append(r.out, p)
}

func deref(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// resolve checks that data written with w reads with rd, descending into
// records, arrays, maps and unions.
func (r *avroResolver) resolve(rd, w avro.Schema, at []string) {
	rd, w = deref(rd), deref(w)
	if wu, ok := w.(*avro.UnionSchema); ok {
		// Every branch the writer may pick must resolve against the reader.
		for _, b := range wu.Types() {
			if ru, ok := rd.(*avro.UnionSchema); ok {
				if m := unionMatch(ru, b); m != nil {
					r.resolve(m, b, at)
				} else {
					r.report(at, rd, b, "union branch "+avroType(b)+" is no longer readable: the reader's union has no branch for it")
				}
				continue
			}
			if !avroMatches(rd, deref(b)) {
				r.report(at, rd, w, "the writer's union may carry "+avroType(b)+", which the reader's "+avroType(rd)+" cannot read")
				continue
			}
			r.resolve(rd, b, at)
		}
		return
	}
	if ru, ok := rd.(*avro.UnionSchema); ok {
		m := unionMatch(ru, w)
		if m == nil {
			r.report(at, rd, w, "the reader's union has no branch for "+avroType(w))
			return
		}
		r.resolve(m, w, at)
		return
	}
	if !avroMatches(rd, w) {
		r.report(at, rd, w, "type changed from "+avroType(w)+" (writer) to "+avroType(rd)+" (reader), which Avro cannot promote")
		return
	}
	switch rs := rd.(type) {
	case *avro.RecordSchema:
		r.record(rs, w.(*avro.RecordSchema), at)
	case *avro.EnumSchema:
		ws := w.(*avro.EnumSchema)
		for _, s := range ws.Symbols() {
			if slices.Contains(rs.Symbols(), s) || rs.HasDefault() {
				continue
			}
			p := avroProblem{at: append(slices.Clone(at), s)}
			if r.readerIsHead {
				p.before, p.msg = s, "enum symbol "+s+" was removed, and "+rs.Name()+" has no default for the old producers' "+s
			} else {
				p.after, p.msg = s, "enum symbol "+s+" was added, and old consumers' "+rs.Name()+" has no default to read it as"
			}
			r.out = append(r.out, p)
		}
	case *avro.ArraySchema:
		r.resolve(rs.Items(), w.(*avro.ArraySchema).Items(), append(at, "items"))
	case *avro.MapSchema:
		r.resolve(rs.Values(), w.(*avro.MapSchema).Values(), append(at, "values"))
	case *avro.FixedSchema:
		if ws := w.(*avro.FixedSchema); ws.Size() != rs.Size() {
			r.report(at, rd, w, fmt.Sprintf("fixed size changed from %d to %d", ws.Size(), rs.Size()))
		}
	case *avro.PrimitiveSchema:
		wl, rl := logicalName(w), logicalName(rd)
		if wl != rl {
			r.report(at, rd, w, "logical type changed from "+orPlain(wl)+" to "+orPlain(rl)+": the same bytes now mean something else")
		}
	}
}

// record resolves the reader's fields against the writer's: by name, then by
// the reader field's aliases; a reader field the writer lacks needs a
// default. Writer fields the reader dropped are skipped, as Avro does.
func (r *avroResolver) record(rd, w *avro.RecordSchema, at []string) {
	key := [2]string{rd.FullName(), w.FullName()}
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	byName := map[string]*avro.Field{}
	for _, f := range w.Fields() {
		byName[f.Name()] = f
	}
	matched := map[string]bool{}
	for _, rf := range rd.Fields() {
		wf := byName[rf.Name()]
		for _, a := range rf.Aliases() {
			if wf == nil {
				wf = byName[a]
			}
		}
		if wf != nil {
			matched[wf.Name()] = true
			r.resolve(rf.Type(), wf.Type(), append(at, rf.Name()))
			continue
		}
		if rf.HasDefault() {
			continue
		}
		msg := "field " + rf.Name() + " is missing from the writer's data and has no default"
		if other := renamedFrom(rf, w, rd); other != "" {
			// The writer's field is base's when the reader is head.
			from, to := other, rf.Name()
			if !r.readerIsHead {
				from, to = to, from
			}
			msg = "field " + from + " was renamed to " + to + " without an alias (aliases: [" + from + "] on " + to + ") or a default"
		}
		r.report(append(at, rf.Name()), rf.Type(), nil, msg)
	}
}

// renamedFrom guesses the writer field that corresponds to a reader field
// the writer lacks: the only writer field of the same type the reader does
// not have.
func renamedFrom(rf *avro.Field, w, rd *avro.RecordSchema) string {
	inReader := map[string]bool{}
	for _, f := range rd.Fields() {
		inReader[f.Name()] = true
		for _, a := range f.Aliases() {
			inReader[a] = true
		}
	}
	found := ""
	for _, wf := range w.Fields() {
		if inReader[wf.Name()] || avroType(wf.Type()) != avroType(rf.Type()) {
			continue
		}
		if found != "" {
			return ""
		}
		found = wf.Name()
	}
	return found
}

// avroMatches is the specification's "match" of a reader and a writer
// schema: same type (named types by name or the reader's aliases), or a
// promotion (int → long, float, double; long → float, double; float →
// double; string ↔ bytes).
func avroMatches(rd, w avro.Schema) bool {
	rd, w = deref(rd), deref(w)
	rt, wt := rd.Type(), w.Type()
	if rt == wt {
		rn, rok := rd.(avro.NamedSchema)
		wn, wok := w.(avro.NamedSchema)
		if rok && wok {
			return rn.Name() == wn.Name() || slices.Contains(rn.Aliases(), wn.FullName()) || slices.Contains(rn.Aliases(), wn.Name())
		}
		return true
	}
	switch wt {
	case avro.Int:
		return rt == avro.Long || rt == avro.Float || rt == avro.Double
	case avro.Long:
		return rt == avro.Float || rt == avro.Double
	case avro.Float:
		return rt == avro.Double
	case avro.String:
		return rt == avro.Bytes
	case avro.Bytes:
		return rt == avro.String
	}
	return false
}

// unionMatch picks the reader branch a writer value resolves to: the first
// of the same type, else the first it promotes to.
func unionMatch(ru *avro.UnionSchema, w avro.Schema) avro.Schema {
	w = deref(w)
	for _, b := range ru.Types() {
		if deref(b).Type() == w.Type() && avroMatches(b, w) {
			return b
		}
	}
	for _, b := range ru.Types() {
		if avroMatches(b, w) {
			return b
		}
	}
	return nil
}

func logicalName(s avro.Schema) string {
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		return string(l.Logical().Type())
	}
	return ""
}

func orPlain(l string) string {
	if l == "" {
		return "none"
	}
	return l
}

// avroType renders a schema briefly: "long", "timestamp-millis", "record
// Address", "[null, string]".
func avroType(s avro.Schema) string {
	if s == nil {
		return ""
	}
	s = deref(s)
	if l := logicalName(s); l != "" {
		return string(s.Type()) + "/" + l
	}
	switch t := s.(type) {
	case *avro.UnionSchema:
		parts := make([]string, 0, len(t.Types()))
		for _, b := range t.Types() {
			parts = append(parts, avroType(b))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *avro.ArraySchema:
		return "array<" + avroType(t.Items()) + ">"
	case *avro.MapSchema:
		return "map<" + avroType(t.Values()) + ">"
	case avro.NamedSchema:
		return string(s.Type()) + " " + t.Name()
	}
	return string(s.Type())
}

// avroIncompatibilities resolves the two payloads in the direction the data
// flows and returns what cannot be read. Unparseable schemas are problems
// too (a head that does not parse breaks everyone; a base that did not is
// reported so the comparison is never silently skipped).
func avroIncompatibilities(dir Direction, base, head any) []avroProblem {
	if unresolvedRef(base) || unresolvedRef(head) {
		return nil
	}
	bs, berr := parseAvro(base)
	hs, herr := parseAvro(head)
	switch {
	case herr != nil:
		return []avroProblem{{msg: "the payload is not a valid Avro schema: " + herr.Error()}}
	case berr != nil:
		return []avroProblem{{msg: "the base payload is not a valid Avro schema, so it cannot be compared: " + berr.Error()}}
	}
	// A message the application receives is written by producers still on
	// base and read with head; one it sends is written with head and read
	// by consumers still on base.
	r := &avroResolver{readerIsHead: dir != Response, seen: map[[2]string]bool{}}
	if dir == Response {
		r.resolve(bs, hs, nil)
	} else {
		r.resolve(hs, bs, nil)
	}
	return r.out
}
