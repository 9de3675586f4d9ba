// Package estest is an in-memory Elasticsearch for tests: an httptest server
// speaking the part of the REST API the Elasticsearch sink and the
// go-elasticsearch v8 client use, with faults that can be switched on.
//
// It answers GET / (with the X-Elastic-Product header the v8 client checks
// on every first response), POST /_bulk and /{index}/_bulk (index, create,
// update with doc or doc_as_upsert, delete), GET /{index}/_doc/{id},
// GET|POST /{index}/_search (match_all; index lists and * patterns),
// POST /_refresh and /{index}/_refresh, and DELETE /{index}. Documents are kept in memory and
// visible at once, so refresh does nothing. Every request is recorded.
//
// Faults: FailNext makes the next requests fail whole (429, 503, …); Reject
// makes every bulk item with an _id fail with a status and an error type
// (400 mapper_parsing_exception, …); RejectField refuses documents holding a
// field, as a mapping conflict does; FailItemNext fails an _id's next items
// with a transient status; MaxContentLength answers 413 to larger bulk
// bodies, as http.max_content_length does. Index names are checked as
// Elasticsearch checks them (lower case, no \ / * ? " < > | space , #).
//
// It is not a search engine: no mappings, no queries other than match_all,
// no versions beyond a per-document counter.
package estest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Server is an in-memory Elasticsearch.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	indices  map[string]map[string]*doc // index → _id → document
	requests []Request
	failNext []int // statuses of the next requests to fail, in order
	rejects  map[string]itemFault
	// rejectFields: top-level field → fault for documents holding it.
	rejectFields map[string]itemFault
	itemFail     map[string][]int // _id → statuses of its next items
	// MaxContentLength, when > 0, is the largest bulk body accepted.
	maxContentLength int
}

type doc struct {
	source  map[string]any
	version int
}

type itemFault struct {
	status int
	typ    string
	reason string
}

// NewServer starts a server; it is closed when the test ends.
func NewServer(t interface{ Cleanup(func()) }) *Server {
	s := &Server{indices: map[string]map[string]*doc{}, rejects: map[string]itemFault{}, rejectFields: map[string]itemFault{}, itemFail: map[string][]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// FailNext makes the next len(statuses) requests, whatever they are, fail
// whole with these statuses in order (e.g. 429, 503).
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, statuses...)
}

// Reject makes every bulk item for document id fail with status, error type
// and reason, until Clear.
func (s *Server) Reject(id string, status int, typ, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects[id] = itemFault{status: status, typ: typ, reason: reason}
}

// RejectField makes every index, create or update whose document holds the
// top-level field fail with 400 mapper_parsing_exception, as a field whose
// value does not fit the index mapping does, until Clear.
func (s *Server) RejectField(field string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectFields[field] = itemFault{status: http.StatusBadRequest, typ: "mapper_parsing_exception",
		reason: fmt.Sprintf("failed to parse field [%s] of type [long]", field)}
}

// FailItemNext makes the next len(statuses) bulk items for document id fail
// with these statuses (429: es_rejected_execution_exception; 5xx:
// unavailable_shards_exception).
func (s *Server) FailItemNext(id string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.itemFail[id] = append(s.itemFail[id], statuses...)
}

// SetMaxContentLength makes bulk bodies longer than n bytes fail with 413;
// 0 accepts any size.
func (s *Server) SetMaxContentLength(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxContentLength = n
}

// Clear removes every fault.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = nil
	s.rejects = map[string]itemFault{}
	s.rejectFields = map[string]itemFault{}
	s.itemFail = map[string][]int{}
	s.maxContentLength = 0
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// BulkBodies returns the bodies of the bulk requests received so far.
func (s *Server) BulkBodies() []string {
	var out []string
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/_bulk") {
			out = append(out, string(r.Body))
		}
	}
	return out
}

// Doc returns a document's source as compact JSON with sorted keys.
func (s *Server) Doc(index, id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.indices[index][id]
	if !ok {
		return "", false
	}
	return encode(d.source), true
}

// Docs returns every document of an index, _id → compact JSON source.
func (s *Server) Docs(index string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for id, d := range s.indices[index] {
		out[id] = encode(d.source)
	}
	return out
}

// Indices returns the names of the indices that exist, sorted.
func (s *Server) Indices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.indices))
}

func encode(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	if len(s.failNext) > 0 {
		status := s.failNext[0]
		s.failNext = s.failNext[1:]
		typ := "unavailable_shards_exception"
		if status == http.StatusTooManyRequests {
			typ = "es_rejected_execution_exception"
		}
		writeError(w, status, typ, "injected failure")
		return
	}

	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSON(w, http.StatusOK, map[string]any{
			"name": "estest", "cluster_name": "estest",
			"version": map[string]any{"number": "8.19.0", "build_flavor": "default"},
			"tagline": "You Know, for Search",
		})
	case parts[len(parts)-1] == "_bulk" && len(parts) <= 2 && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		defIndex := ""
		if len(parts) == 2 {
			defIndex = parts[0]
		}
		s.bulk(w, body, defIndex)
	case len(parts) == 3 && parts[1] == "_doc" && r.Method == http.MethodGet:
		s.get(w, parts[0], parts[2])
	case parts[len(parts)-1] == "_search" && len(parts) <= 2 && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		pattern := "*"
		if len(parts) == 2 {
			pattern = parts[0]
		}
		s.search(w, pattern)
	case len(parts) == 1 && parts[0] != "" && r.Method == http.MethodDelete:
		s.deleteIndices(w, parts[0])
	case parts[len(parts)-1] == "_refresh" && len(parts) <= 2:
		writeJSON(w, http.StatusOK, map[string]any{"_shards": map[string]int{"total": 1, "successful": 1, "failed": 0}})
	default:
		writeError(w, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("estest does not serve %s %s", r.Method, r.URL.Path))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	io.WriteString(w, encode(v))
}

func writeError(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"type": typ, "reason": reason, "root_cause": []any{map[string]any{"type": typ, "reason": reason}}},
		"status": status,
	})
}

// bulk applies a bulk body. Action lines are parsed strictly, as
// Elasticsearch does (a bad one fails the whole request); a bad source
// fails its item only.
func (s *Server) bulk(w http.ResponseWriter, body []byte, defIndex string) {
	if s.maxContentLength > 0 && len(body) > s.maxContentLength {
		writeError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
			fmt.Sprintf("request body is too large: %d bytes > %d", len(body), s.maxContentLength))
		return
	}
	if len(body) == 0 {
		writeError(w, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}
	if body[len(body)-1] != '\n' {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
	var items []any
	hasErrors := false
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
			writeError(w, http.StatusBadRequest, "x_content_parse_exception", fmt.Sprintf("malformed action/metadata line: %q", line))
			return
		}
		var name string
		for k := range action {
			name = k
		}
		meta := action[name]
		if meta.Index == "" {
			meta.Index = defIndex
		}
		var source []byte
		switch name {
		case "index", "create", "update":
			if !sc.Scan() {
				writeError(w, http.StatusBadRequest, "illegal_argument_exception", "the bulk request must end with a source line after "+name)
				return
			}
			source = slices.Clone(sc.Bytes())
		case "delete":
		default:
			writeError(w, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("Malformed action/metadata line, expected one of [create, delete, index, update] but found [%s]", name))
			return
		}
		status, result := s.applyItem(name, meta.Index, meta.ID, source)
		item := map[string]any{"_index": meta.Index, "_id": meta.ID, "status": status}
		if status >= 300 && !(name == "delete" && status == http.StatusNotFound) {
			hasErrors = true
			item["error"] = result
		} else {
			item["result"] = result
			if d, ok := s.indices[meta.Index][meta.ID]; ok {
				item["_version"] = d.version
			}
		}
		items = append(items, map[string]any{name: item})
	}
	writeJSON(w, http.StatusOK, map[string]any{"took": 1, "errors": hasErrors, "items": items})
}

// applyItem runs one bulk action; it returns the status and either the
// result ("created", …) or an error object.
func (s *Server) applyItem(action, index, id string, source []byte) (int, any) {
	fail := func(status int, typ, reason string) (int, any) {
		return status, map[string]any{"type": typ, "reason": reason, "index": index}
	}
	if reason := badIndexName(index); reason != "" {
		return fail(http.StatusBadRequest, "invalid_index_name_exception", fmt.Sprintf("Invalid index name [%s], %s", index, reason))
	}
	if f, ok := s.rejects[id]; ok {
		return fail(f.status, f.typ, f.reason)
	}
	if q := s.itemFail[id]; len(q) > 0 {
		s.itemFail[id] = q[1:]
		if q[0] == http.StatusTooManyRequests {
			return fail(q[0], "es_rejected_execution_exception", "rejected execution of coordinating operation")
		}
		return fail(q[0], "unavailable_shards_exception", "primary shard is not active")
	}
	if id == "" && action != "index" && action != "create" {
		return fail(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
	}
	docs := s.indices[index]
	var src map[string]any
	if action != "delete" {
		var err error
		if src, err = decodeObject(source); err != nil {
			return fail(http.StatusBadRequest, "mapper_parsing_exception", "failed to parse: "+err.Error())
		}
		fields := src
		if action == "update" {
			fields, _ = src["doc"].(map[string]any)
		}
		for name := range fields {
			if f, ok := s.rejectFields[name]; ok {
				return fail(f.status, f.typ, f.reason)
			}
		}
		if _, ok := src["_id"]; ok && action != "update" {
			return fail(http.StatusBadRequest, "document_parsing_exception", "[1:1] Field [_id] is a metadata field and cannot be added inside a document. Use the index API request parameters.")
		}
	}
	switch action {
	case "index", "create":
		if id == "" {
			id = fmt.Sprintf("auto-%d", len(docs))
		}
		old, exists := docs[id]
		if exists && action == "create" {
			return fail(http.StatusConflict, "version_conflict_engine_exception", fmt.Sprintf("[%s]: version conflict, document already exists", id))
		}
		s.put(index, id, src, old)
		if exists {
			return http.StatusOK, "updated"
		}
		return http.StatusCreated, "created"
	case "update":
		partial, ok := src["doc"].(map[string]any)
		if !ok {
			return fail(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
		}
		old, exists := docs[id]
		if !exists {
			if upsert, _ := src["doc_as_upsert"].(bool); !upsert {
				return fail(http.StatusNotFound, "document_missing_exception", fmt.Sprintf("[%s]: document missing", id))
			}
			s.put(index, id, partial, nil)
			return http.StatusCreated, "created"
		}
		merged := deepMerge(old.source, partial)
		if encode(merged) == encode(old.source) {
			return http.StatusOK, "noop"
		}
		s.put(index, id, merged, old)
		return http.StatusOK, "updated"
	default: // delete
		if _, exists := docs[id]; !exists {
			return http.StatusNotFound, "not_found"
		}
		delete(docs, id)
		return http.StatusOK, "deleted"
	}
}

func (s *Server) put(index, id string, src map[string]any, old *doc) {
	if s.indices[index] == nil {
		s.indices[index] = map[string]*doc{}
	}
	v := 1
	if old != nil {
		v = old.version + 1
	}
	s.indices[index][id] = &doc{source: src, version: v}
}

// deepMerge merges src into a copy of dst as an update's doc is merged:
// objects field by field, anything else replaced.
func deepMerge(dst, src map[string]any) map[string]any {
	out := maps.Clone(dst)
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if old, ok := out[k].(map[string]any); ok {
				out[k] = deepMerge(old, sub)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the document")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the document is not an object")
	}
	return m, nil
}

// badIndexName says why Elasticsearch would refuse an index name, or "".
func badIndexName(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case name != strings.ToLower(name):
		return "must be lowercase"
	case strings.ContainsAny(name, "\\/*?\"<>| ,#:"):
		return `must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #, :]`
	case strings.IndexAny(name[:1], "-_+") == 0:
		return "must not start with '_', '-', or '+'"
	case len(name) > 255:
		return "index name is too long"
	}
	return ""
}

func (s *Server) get(w http.ResponseWriter, index, id string) {
	d, ok := s.indices[index][id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"_index": index, "_id": id, "found": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"_index": index, "_id": id, "_version": d.version, "found": true, "_source": d.source})
}

// search answers match_all over the indices matching pattern (a comma
// separated list of names or * patterns), hits sorted by index then _id.
func (s *Server) search(w http.ResponseWriter, pattern string) {
	var hits []any
	for _, index := range slices.Sorted(maps.Keys(s.indices)) {
		if !matchIndex(pattern, index) {
			continue
		}
		docs := s.indices[index]
		for _, id := range slices.Sorted(maps.Keys(docs)) {
			hits = append(hits, map[string]any{"_index": index, "_id": id, "_score": 1.0, "_source": docs[id].source})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"took": 1, "timed_out": false,
		"hits": map[string]any{"total": map[string]any{"value": len(hits), "relation": "eq"}, "max_score": 1.0, "hits": hits},
	})
}

// deleteIndices drops the indices matching pattern; none matching is a 404
// index_not_found_exception, as for a plain name in Elasticsearch.
func (s *Server) deleteIndices(w http.ResponseWriter, pattern string) {
	found := false
	for index := range s.indices {
		if matchIndex(pattern, index) {
			delete(s.indices, index)
			found = true
		}
	}
	if !found && !strings.Contains(pattern, "*") {
		writeError(w, http.StatusNotFound, "index_not_found_exception", "no such index ["+pattern+"]")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
}

func matchIndex(pattern, index string) bool {
	for p := range strings.SplitSeq(pattern, ",") {
		if p == "_all" {
			return true
		}
		if ok, _ := path.Match(p, index); ok {
			return true
		}
	}
	return false
}
