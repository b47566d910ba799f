package sampling

import (
	"slices"
	"strconv"
)

// Range is the inclusive run of heights [From, To].
type Range struct {
	From, To uint64
}

// MarshalJSON encodes r as the API's [from,to] pair.
func (r Range) MarshalJSON() ([]byte, error) {
	b := append([]byte{'['}, strconv.FormatUint(r.From, 10)...)
	b = append(b, ',')
	b = strconv.AppendUint(b, r.To, 10)
	return append(b, ']'), nil
}

// rangeSet is a set of heights kept as sorted, disjoint, non-adjacent
// ranges: a long run of available heights costs one entry.
type rangeSet []Range

// find returns the index of the first range ending at or above h, and
// whether that range holds h.
func (rs rangeSet) find(h uint64) (int, bool) {
	i, _ := slices.BinarySearchFunc(rs, h, func(r Range, h uint64) int {
		if r.To < h {
			return -1
		}
		if r.To > h {
			return 1
		}
		return 0
	})
	return i, i < len(rs) && rs[i].From <= h
}

func (rs rangeSet) has(h uint64) bool {
	_, ok := rs.find(h)
	return ok
}

func (rs *rangeSet) add(h uint64) {
	i, ok := rs.find(h)
	if ok {
		return
	}
	s := *rs
	left := i > 0 && s[i-1].To+1 == h
	right := i < len(s) && h+1 == s[i].From
	switch {
	case left && right:
		s[i-1].To = s[i].To
		s = slices.Delete(s, i, i+1)
	case left:
		s[i-1].To = h
	case right:
		s[i].From = h
	default:
		s = slices.Insert(s, i, Range{h, h})
	}
	*rs = s
}

func (rs *rangeSet) remove(h uint64) {
	i, ok := rs.find(h)
	if !ok {
		return
	}
	s := *rs
	r := s[i]
	switch {
	case r.From == r.To:
		s = slices.Delete(s, i, i+1)
	case h == r.From:
		s[i].From++
	case h == r.To:
		s[i].To--
	default:
		s[i].To = h - 1
		s = slices.Insert(s, i+1, Range{h + 1, r.To})
	}
	*rs = s
}

// trimBelow drops every height below f.
func (rs *rangeSet) trimBelow(f uint64) {
	s := *rs
	i, _ := s.find(f)
	s = slices.Delete(s, 0, i)
	if len(s) > 0 && s[0].From < f {
		s[0].From = f
	}
	*rs = s
}

// count is the number of heights in the set.
func (rs rangeSet) count() uint64 {
	var n uint64
	for _, r := range rs {
		n += r.To - r.From + 1
	}
	return n
}
