package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram buckets: values below 2^histSubBits ns are exact; above, every power of two is split
// into 2^(histSubBits-1) linear sub-buckets, so a bucket is at most 1/128 (0.8 %) of its value
// wide and its midpoint within 0.4 % of any value in it (the HDR histogram's scheme). Values are
// clamped to 2^41 ns (36 minutes), far above any request timeout.
const (
	histSubBits  = 8
	histHalf     = 1 << (histSubBits - 1)
	histMaxValue = 1<<41 - 1
	histBuckets  = (41-histSubBits+1)*histHalf + histHalf
)

// Histogram records durations in constant memory (35 KiB) whatever their number, with a
// relative error under 0.4 %. The zero value is empty and ready to use; it is not safe for
// concurrent use (give each goroutine its own and Merge them).
type Histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	sum      float64 // nanoseconds
	min, max time.Duration
}

func histIndex(v uint64) int {
	if v > histMaxValue {
		v = histMaxValue
	}
	if v < 1<<histSubBits {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits
	return shift*histHalf + int(v>>shift)
}

// histBucket returns the lowest value of bucket i and its width.
func histBucket(i int) (lo, width uint64) {
	if i < 1<<histSubBits {
		return uint64(i), 1
	}
	shift := i/histHalf - 1
	m := uint64(i - shift*histHalf)
	return m << shift, 1 << shift
}

// Record adds one duration; negative ones count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += float64(d)
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.n }

// Min and Max are the exact extremes (0 when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Max is the largest recorded duration.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the average duration (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the duration below or at which a fraction q (0 to 1) of the samples fall:
// the midpoint of the bucket holding the sample of rank ceil(q·n), kept within [Min, Max].
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := histBucket(i)
			v := time.Duration(lo + w/2)
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}
