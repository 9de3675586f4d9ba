package elasticsearch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// itemResult is Elasticsearch's answer for one bulk item.
type itemResult struct {
	action string // index, create, update or delete
	status int
	// errType and reason describe a failure, with the cause when given:
	// "mapper_parsing_exception", "failed to parse field [n] …; caused by …".
	errType string
	reason  string
}

// parseBulkResponse reads the body of a bulk response that should answer
// want items. A body that is not a bulk response, or answers another number
// of items, is an error: the items cannot be matched to what was sent.
func parseBulkResponse(body []byte, want int) ([]itemResult, error) {
	var resp struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&resp); err != nil {
		return nil, fmt.Errorf("not a bulk response: %w", err)
	}
	if resp.Items == nil {
		return nil, fmt.Errorf("not a bulk response: no items")
	}
	if len(resp.Items) != want {
		return nil, fmt.Errorf("%d items answered for %d sent", len(resp.Items), want)
	}
	out := make([]itemResult, len(resp.Items))
	for i, m := range resp.Items {
		if len(m) != 1 {
			return nil, fmt.Errorf("item %d has %d actions, want 1", i, len(m))
		}
		for name, raw := range m {
			switch name {
			case "index", "create", "update", "delete":
			default:
				return nil, fmt.Errorf("item %d: unknown action %q", i, name)
			}
			var it struct {
				Status int             `json:"status"`
				Error  json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(raw, &it); err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			if it.Status < 100 || it.Status > 599 {
				return nil, fmt.Errorf("item %d: status %d", i, it.Status)
			}
			out[i] = itemResult{action: name, status: it.Status}
			out[i].errType, out[i].reason = describeError(it.Error)
		}
	}
	return out, nil
}

// describeError reads an error object (type, reason, caused_by chain) or an
// error string, as older versions and proxies send.
func describeError(raw json.RawMessage) (typ, reason string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "", s
	}
	type cause struct {
		Type     string          `json:"type"`
		Reason   string          `json:"reason"`
		CausedBy json.RawMessage `json:"caused_by"`
	}
	var c cause
	if json.Unmarshal(raw, &c) != nil {
		return "", string(raw)
	}
	typ = c.Type
	parts := []string{c.Reason}
	// A short chain is enough to say what went wrong; it also bounds the
	// work on a hostile body.
	for depth := 0; depth < 4 && len(c.CausedBy) > 0; depth++ {
		var next cause
		if json.Unmarshal(c.CausedBy, &next) != nil {
			break
		}
		parts = append(parts, "caused by "+strings.TrimSpace(next.Type+": "+next.Reason))
		c = next
	}
	return typ, strings.Join(parts, "; ")
}

// errorBody summarises the body of a failed request for an error message.
func errorBody(body []byte) string {
	var resp struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &resp) == nil && len(resp.Error) > 0 {
		typ, reason := describeError(resp.Error)
		if typ != "" {
			return typ + ": " + reason
		}
		if reason != "" {
			return reason
		}
	}
	const max = 300
	s := strings.TrimSpace(string(body))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
