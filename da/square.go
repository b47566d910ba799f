package da

import (
	"errors"
	"fmt"
	"slices"
)

// Square layout, Tartan profile (SPEC "Tartan profile", §4 without compact
// shares): blobs sorted stably by namespace, each starting at a multiple of
// its subtree width, namespace padding between blobs, tail padding to k².

// Square widths.
const (
	// DefaultMaxSquareWidth is the default max_square_width of a chain.
	DefaultMaxSquareWidth = 128
	// MaxSquareWidthCap is the hard upper bound on any square width
	// (celestia-app SquareSizeUpperBound).
	MaxSquareWidthCap = 512
)

// Errors of the square builder; wrapped with details, test with errors.Is.
var (
	// ErrSquareWidth: a max square width that is not a power of two in
	// [1, MaxSquareWidthCap]. A configuration error.
	ErrSquareWidth = errors.New("da: invalid max square width")
	// ErrSquareFull: the blob does not fit in what is left of the square.
	// It may fit in a later, emptier square: keep it for the next block.
	ErrSquareFull = errors.New("da: square is full")
)

// ValidateMaxSquareWidth checks that w is a power of two between 1 and
// MaxSquareWidthCap.
func ValidateMaxSquareWidth(w int) error {
	if w < 1 || w > MaxSquareWidthCap || w&(w-1) != 0 {
		return fmt.Errorf("%w: %d (want a power of two from 1 to %d)", ErrSquareWidth, w, MaxSquareWidthCap)
	}
	return nil
}

// worstCaseShares is what a blob of n shares may take in a square: its
// shares plus the most alignment padding it can need before it (SPEC §4.4).
// WorstCaseShares is what blobs may take in a square, alignment
// included: the share count a square's width is chosen from.
func WorstCaseShares(blobs []Blob) int {
	n := 0
	for i := range blobs {
		n += worstCaseShares(blobs[i].ShareCount())
	}
	return n
}

func worstCaseShares(n int) int { return n + SubTreeWidth(n, SubtreeRootThreshold) - 1 }

// MaxBlobDataSize is the largest blob data length, for the given share
// version (0 or 1), that fits an otherwise empty square of width maxWidth.
// An API answers 413 above it.
func MaxBlobDataSize(maxWidth int, shareVersion uint8) (int, error) {
	if err := ValidateMaxSquareWidth(maxWidth); err != nil {
		return 0, err
	}
	if shareVersion != ShareVersionZero && shareVersion != ShareVersionOne {
		return 0, fmt.Errorf("%w: %d (blobs may use share version 0 or 1)", ErrShareVersion, shareVersion)
	}
	// worstCaseShares increases strictly with n, so walk down from k².
	n := maxWidth * maxWidth
	for worstCaseShares(n) > maxWidth*maxWidth {
		n--
	}
	return firstShareContentSize(shareVersion) + (n-1)*ContinuationSparseShareContentSize, nil
}

// Square is an original data square laid out from blobs.
type Square struct {
	// Width is k: the square holds k² shares.
	Width int
	// Shares are the k² shares in row-major order: share i sits at row
	// i / Width, column i mod Width.
	Shares []Share
	// BlobStarts[i] is the index in Shares of the first share of the i-th
	// blob given to the builder, in the order Append accepted them (not the
	// sorted order of the square).
	BlobStarts []int
}

// SquareBuilder fills one square blob by blob, refusing blobs that would
// make it wider than its max width, as a proposer does when it takes blobs
// from its pool. Its zero value is not usable: call NewSquareBuilder.
type SquareBuilder struct {
	maxWidth int
	blobs    []Blob
	worst    int // Σ worstCaseShares over blobs: k is the smallest power of two with k² ≥ worst
}

// NewSquareBuilder returns an empty builder for squares at most maxWidth
// wide (see ValidateMaxSquareWidth).
func NewSquareBuilder(maxWidth int) (*SquareBuilder, error) {
	if err := ValidateMaxSquareWidth(maxWidth); err != nil {
		return nil, err
	}
	return &SquareBuilder{maxWidth: maxWidth}, nil
}

// Append adds b to the square if it fits. It returns an error, and leaves
// the builder unchanged, when b is invalid (Blob.Validate), when b alone
// would not fit even an empty square of the max width (ErrBlobTooLarge), or
// when b does not fit next to the blobs already added (ErrSquareFull).
//
// The builder keeps b's Data and Signer without copying them until Export.
func (sb *SquareBuilder) Append(b Blob) error {
	if err := b.Validate(); err != nil {
		return err
	}
	limit := sb.maxWidth * sb.maxWidth
	n := b.ShareCount()
	w := worstCaseShares(n)
	if w > limit {
		return fmt.Errorf("%w: %d bytes take %d shares (%d with alignment), an empty %d×%d square holds %d",
			ErrBlobTooLarge, len(b.Data), n, w, sb.maxWidth, sb.maxWidth, limit)
	}
	if sb.worst+w > limit {
		return fmt.Errorf("%w: blob needs up to %d shares, %d of %d are taken", ErrSquareFull, w, sb.worst, limit)
	}
	sb.blobs = append(sb.blobs, b)
	sb.worst += w
	return nil
}

// Len is the number of blobs appended.
func (sb *SquareBuilder) Len() int { return len(sb.blobs) }

// WorstCaseShares is the share count the width of the square is chosen
// from: for each blob, its shares plus its subtree width minus one.
func (sb *SquareBuilder) WorstCaseShares() int { return sb.worst }

// Width is the width the square would have if exported now.
func (sb *SquareBuilder) Width() int { return minSquareWidth(sb.worst) }

// Export lays the blobs out in a new square. With no blobs it is the 1×1
// square of one tail-padding share (SPEC §4.6). The builder is unchanged
// and may be appended to and exported again.
func (sb *SquareBuilder) Export() (*Square, error) {
	k := sb.Width()
	order := make([]int, len(sb.blobs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return sb.blobs[a].Namespace.Compare(sb.blobs[b].Namespace)
	})
	sq := &Square{Width: k, Shares: make([]Share, 0, k*k), BlobStarts: make([]int, len(sb.blobs))}
	for j, i := range order {
		b := &sb.blobs[i]
		w := SubTreeWidth(b.ShareCount(), SubtreeRootThreshold)
		if pad := (w - len(sq.Shares)%w) % w; pad > 0 {
			// Namespace padding takes the previous blob's namespace and
			// share version so the square stays sorted (SPEC §3.5).
			p := &sb.blobs[order[j-1]]
			ps := PaddingShare(p.Namespace, p.ShareVersion)
			for range pad {
				sq.Shares = append(sq.Shares, ps)
			}
		}
		sq.BlobStarts[i] = len(sq.Shares)
		sq.Shares = b.appendShares(sq.Shares)
	}
	if len(sq.Shares) > k*k {
		// Unreachable while worst-case accounting holds; checked so a
		// broken invariant is an error, not a wrong square.
		return nil, fmt.Errorf("da: square layout took %d shares, more than %d×%d", len(sq.Shares), k, k)
	}
	tail := TailPaddingShare()
	for len(sq.Shares) < k*k {
		sq.Shares = append(sq.Shares, tail)
	}
	return sq, nil
}

// BuildSquare lays out blobs in one square of width at most maxWidth,
// failing if they do not all fit. BlobStarts follows the order of blobs.
func BuildSquare(blobs []Blob, maxWidth int) (*Square, error) {
	sb, err := NewSquareBuilder(maxWidth)
	if err != nil {
		return nil, err
	}
	for i, b := range blobs {
		if err := sb.Append(b); err != nil {
			return nil, fmt.Errorf("blob %d: %w", i, err)
		}
	}
	return sb.Export()
}
