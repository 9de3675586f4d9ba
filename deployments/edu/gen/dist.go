package gen

import (
	"math"
	"math/rand/v2"
	"time"
)

// Every duration drawn is whole milliseconds, as the times events carry.

// between draws a duration uniformly from [lo, hi], both whole milliseconds.
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Millisecond)+1))*time.Millisecond
}

// exponential draws the wait until the next arrival of a Poisson process
// with the given mean gap, at least a millisecond.
func exponential(rng *rand.Rand, mean time.Duration) time.Duration {
	return max(time.Millisecond, time.Duration(rng.ExpFloat64()*float64(mean)).Truncate(time.Millisecond))
}

// poisson draws how many arrivals a Poisson process of mean lambda has
// (Knuth's method: lambda is small here, a few per step).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	limit, p, n := math.Exp(-lambda), 1.0, 0
	for {
		p *= rng.Float64()
		if p <= limit {
			return n
		}
		n++
	}
}

// pick draws an index by weight.
func pick(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// heavyTail draws a count of at least 1 from a Pareto tail: mostly 1 to 3,
// now and then hundreds (packet loss in a bad network).
func heavyTail(rng *rand.Rand) int {
	u := 1 - rng.Float64() // (0, 1]
	return min(1000, int(math.Pow(u, -1/1.2)))
}
