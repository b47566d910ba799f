package erasure

// Reconstruct restores the missing cells of p in place, like Repair, for a
// caller that has no DAH: one that collected cells, each proved against the
// data root (Sample.Verify), from peers that do not serve the roots. The
// decoding is Repair's with the root checks left out; instead every axis of
// the result is shown to be a Reed-Solomon codeword, so the square returned
// is a valid EDS through every cell that was present. Decoding never
// changes a present cell, and a square the present cells determine is
// unique, so when they are all the original's the result is the original.
//
// Without roots nothing ties the result to a header: the caller commits it
// (Commit) and compares the data root, which also catches namespaces out of
// order.
//
// It returns the square, which shares p's memory (do not Set cells
// afterwards), or an error wrapping ErrUnrepairable when the present cells
// do not determine the square (p keeps the cells it could restore), or a
// *ByzantineError when some complete axis is not a codeword: the cells
// present contradict each other.
func (p *PartialEDS) Reconstruct() (*EDS, error) {
	if err := newRepairer(p, nil).run(); err != nil {
		return nil, err
	}
	return p.EDS(), nil
}
