package expr

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// likePattern is a compiled SQL LIKE pattern. The text and the pattern are
// compared byte for byte, except that _ stands for one rune (one UTF-8
// sequence, or one byte that is not part of a valid one) and % for any
// number of them.
//
// The pattern is split at its %s into parts, each a fixed number of runes.
// The first part must match at the start and the last at the end; the ones
// between are matched leftmost first, which is optimal because a part
// that matches further left also ends further left. Patterns without _ run
// as one strings function (equality, prefix, suffix, contains).
type likePattern struct {
	shape likeShape
	lit   string       // the literal of the simple shapes
	parts [][]likeItem // likeGeneral: the parts between %s; more than one when the pattern has a %
}

type likeShape uint8

const (
	likeExact    likeShape = iota // lit
	likePrefix                    // lit%
	likeSuffix                    // %lit
	likeContains                  // %lit%
	likeGeneral
)

// likeItem is a literal, or (lit == "") a run of n _s.
type likeItem struct {
	lit string
	n   int
}

var errLikeEscape = errors.New(`like pattern ends with a backslash that escapes nothing (write \\\\ for a backslash)`)

// compileLike compiles a pattern, which must be valid UTF-8 (Parse checks the
// whole source). A backslash makes the rune after it literal.
func compileLike(pat string) (*likePattern, error) {
	var parts [][]likeItem
	var items []likeItem
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			items = append(items, likeItem{lit: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '\\':
			if i+1 == len(pat) {
				return nil, errLikeEscape
			}
			_, size := utf8.DecodeRuneInString(pat[i+1:])
			lit = append(lit, pat[i+1:i+1+size]...)
			i += size
		case '%':
			flush()
			parts = append(parts, items)
			items = nil
		case '_':
			flush()
			if k := len(items) - 1; k >= 0 && items[k].lit == "" {
				items[k].n++
			} else {
				items = append(items, likeItem{n: 1})
			}
		default:
			lit = append(lit, c)
		}
	}
	flush()
	parts = append(parts, items)

	// %% is %: drop the empty parts between two %s.
	if len(parts) > 2 {
		mid := parts[1 : len(parts)-1 : len(parts)-1]
		kept := mid[:0]
		for _, p := range mid {
			if len(p) > 0 {
				kept = append(kept, p)
			}
		}
		parts = append(append(parts[:1], kept...), parts[len(parts)-1])
	}

	p := &likePattern{shape: likeGeneral, parts: parts}
	plain := func(items []likeItem) (string, bool) {
		switch {
		case len(items) == 0:
			return "", true
		case len(items) == 1 && items[0].lit != "":
			return items[0].lit, true
		}
		return "", false
	}
	first, firstPlain := plain(parts[0])
	last, lastPlain := plain(parts[len(parts)-1])
	switch {
	case len(parts) == 1 && firstPlain:
		p.shape, p.lit = likeExact, first
	case len(parts) == 2 && firstPlain && last == "" && lastPlain:
		p.shape, p.lit = likePrefix, first
	case len(parts) == 2 && first == "" && firstPlain && lastPlain:
		p.shape, p.lit = likeSuffix, last
	case len(parts) == 3 && len(parts[0]) == 0 && len(parts[2]) == 0:
		if mid, ok := plain(parts[1]); ok {
			p.shape, p.lit = likeContains, mid
		}
	}
	return p, nil
}

func (p *likePattern) match(s string) bool {
	switch p.shape {
	case likeExact:
		return s == p.lit
	case likePrefix:
		return strings.HasPrefix(s, p.lit)
	case likeSuffix:
		return strings.HasSuffix(s, p.lit)
	case likeContains:
		return strings.Contains(s, p.lit)
	}
	pos, ok := matchPart(p.parts[0], s, 0)
	if !ok {
		return false
	}
	if len(p.parts) == 1 {
		return pos == len(s)
	}
	for _, part := range p.parts[1 : len(p.parts)-1] {
		if pos, ok = findPart(part, s, pos); !ok {
			return false
		}
	}
	return matchTail(p.parts[len(p.parts)-1], s, pos)
}

// matchPart matches part at s[pos:] and returns where the match ends.
func matchPart(part []likeItem, s string, pos int) (int, bool) {
	for _, it := range part {
		if it.lit != "" {
			if !strings.HasPrefix(s[pos:], it.lit) {
				return 0, false
			}
			pos += len(it.lit)
			continue
		}
		for range it.n {
			if pos >= len(s) {
				return 0, false
			}
			pos += runeLen(s, pos)
		}
	}
	return pos, true
}

// findPart finds the leftmost match of part at or after pos and returns where
// it ends. A part that starts with a literal jumps to the literal's
// occurrences: the literal is valid UTF-8, so it starts with a byte that
// begins a rune, and any place it occurs is a rune boundary.
func findPart(part []likeItem, s string, pos int) (int, bool) {
	if lit := part[0].lit; lit != "" {
		for pos <= len(s) {
			i := strings.Index(s[pos:], lit)
			if i < 0 {
				return 0, false
			}
			if end, ok := matchPart(part, s, pos+i); ok {
				return end, true
			}
			pos += i + 1
		}
		return 0, false
	}
	for ; pos <= len(s); pos += runeLen(s, pos) {
		if end, ok := matchPart(part, s, pos); ok {
			return end, true
		}
		if pos == len(s) {
			break
		}
	}
	return 0, false
}

// matchTail reports whether part matches the end of s, starting at or after
// pos. The part is a fixed number of runes, so only one start is possible.
func matchTail(part []likeItem, s string, pos int) bool {
	if len(part) == 0 {
		return true
	}
	if len(part) == 1 && part[0].lit != "" {
		return len(s)-pos >= len(part[0].lit) && strings.HasSuffix(s, part[0].lit)
	}
	want := 0
	for _, it := range part {
		if it.lit != "" {
			want += utf8.RuneCountInString(it.lit)
		} else {
			want += it.n
		}
	}
	have := 0
	for i := pos; i < len(s); i += runeLen(s, i) {
		have++
	}
	if have < want {
		return false
	}
	for range have - want {
		pos += runeLen(s, pos)
	}
	end, ok := matchPart(part, s, pos)
	return ok && end == len(s)
}

// runeLen is the length of the rune at s[i]: an invalid byte counts as one.
func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return size
}
