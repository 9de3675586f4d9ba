package expr

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string // the pattern as a string value: \ is one backslash
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"%%", "", true},
		{"_", "", false},
		{"_", "a", true},
		{"_", "ab", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"abc", "ABC", false},
		{"a%", "a", true},
		{"a%", "ba", false},
		{"%a", "ba", true},
		{"%a", "ab", false},
		{"%b%", "abc", true},
		{"%b%", "b", true},
		{"%b%", "ac", false},
		{"%%b%%", "abc", true},
		{"a%c", "ac", true},
		{"a%c", "abbbc", true},
		{"a%c", "abbbcd", false},
		{"a%b%c", "aXbYc", true},
		{"a%b%c", "acb", false},
		{"a%b%c", "abcbc", true},
		{"%ab%ab%", "abab", true},
		{"%ab%ab%", "aba", false},
		{"%aab", "aaab", true}, // the suffix is found though an earlier a fails
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"a__", "abc", true},
		{"%_", "", false},
		{"%_", "x", true},
		{"_%_", "x", false},
		{"_%_", "xy", true},
		{"%_b", "ab", true},
		{"%_b", "b", false},
		{"%a_c%", "xxabcxx", true},
		{"%a_c%", "xxacxx", false},
		{"%_c_%", "abcde", true},
		{"%__%__", "abc", false},
		{"%__%__", "abcd", true},
		// Escapes: \% \_ \\ are literal, and so is \ before anything else.
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{`100\%`, "100", false},
		{`a\_b`, "a_b", true},
		{`a\_b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{`a\\%`, `a\bc`, true},
		{`a\\%`, `abc`, false},
		{`\a\b`, "ab", true},
		{`%\%%`, "50% off", true},
		{`%\%%`, "50 off", false},
		{`\%%\_`, "%x_", true},
		{`\%%\_`, "%x-", false},
		{`\测`, "测", true},
		// Multibyte: _ is one rune.
		{"测_", "测试", true},
		{"__", "测试", true},
		{"___", "测试", false},
		{"%试", "测试", true},
		{"_试", "测试", true},
		{"%测试%", "这是测试数据", true},
		{"%测试%", "这是测 试数据", false},
		{"%__", "€", false}, // one rune of three bytes
		{"%___", "€€", false},
		{"%___", "€€€", true},
		{"%_", "€", true},
		{"_%_", "€", false},
		{"%__%", "😀😀", true},
		{"😀%😀", "😀😀", true},
		{"😀%😀", "😀", false},
		// Invalid UTF-8 in the text: each bad byte is one character.
		{"_", "\xff", true},
		{"__", "\xff\xfe", true},
		{"%_", "\xe2\x82", true},
		{"___", "\xe2\x82", false},
		{"a%", "a\xff", true},
		{"%b", "\xffb", true},
		{"_b", "\xffb", true},
	} {
		p, err := compileLike(tc.pattern)
		if err != nil {
			t.Errorf("compileLike(%q): %v", tc.pattern, err)
			continue
		}
		if got := p.match(tc.s); got != tc.want {
			t.Errorf("%q like %q = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
		if got := refLike(tc.pattern, tc.s); got != tc.want {
			t.Errorf("reference: %q like %q = %v, want %v (the test's reference is wrong)", tc.s, tc.pattern, got, tc.want)
		}
	}
	if _, err := compileLike(`abc\`); err == nil {
		t.Error(`compileLike accepts a pattern ending in \`)
	}
}

// TestLikeShapes checks that the patterns meant for one strings function
// get it, since the general matcher would give the same answers slower.
func TestLikeShapes(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		shape   likeShape
		lit     string
	}{
		{"abc", likeExact, "abc"},
		{"", likeExact, ""},
		{"abc%", likePrefix, "abc"},
		{"%", likePrefix, ""},
		{"%abc", likeSuffix, "abc"},
		{"%abc%", likeContains, "abc"},
		{"%%abc%%", likeContains, "abc"},
		{`100\%`, likeExact, "100%"},
		{`\%%`, likePrefix, "%"},
		{"a_c", likeGeneral, ""},
		{"a%c", likeGeneral, ""},
		{"%a%c%", likeGeneral, ""},
	} {
		p, err := compileLike(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if p.shape != tc.shape || p.lit != tc.lit {
			t.Errorf("%q: shape %d %q, want %d %q", tc.pattern, p.shape, p.lit, tc.shape, tc.lit)
		}
	}
}

// TestLikeRandom compares the matcher with the reference on random
// patterns and texts over a small alphabet, where matches are frequent.
func TestLikeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patAlphabet := []string{"a", "b", "%", "_", `\%`, `\_`, `\\`, "é", "€"}
	textAlphabet := []string{"a", "b", "%", "_", `\`, "é", "€", "\xff", "\xe2\x82"}
	build := func(alphabet []string, max int) string {
		var b strings.Builder
		for range rng.IntN(max + 1) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	matched := 0
	for range 50000 {
		pat, s := build(patAlphabet, 7), build(textAlphabet, 9)
		p, err := compileLike(pat)
		if err != nil {
			t.Fatalf("compileLike(%q): %v", pat, err)
		}
		got, want := p.match(s), refLike(pat, s)
		if got != want {
			t.Fatalf("%q like %q = %v, reference %v", s, pat, got, want)
		}
		if got {
			matched++
		}
	}
	if matched < 1000 {
		t.Errorf("only %d of the random cases match: the test says little", matched)
	}
}
