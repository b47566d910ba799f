package node

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/da"
	"github.com/tartan-da/tartan/p2p"
)

// pool holds the producer's pending submissions, bounded in bytes. A
// submission (the blobs of one request) is included whole, in one block,
// so it can be answered with one height. Submissions are keyed by their
// content, so the same blobs sent again while pending wait for the same
// inclusion, and sent again after inclusion get the height they were
// included at, instead of being included twice.
//
// Nothing in the pool is persisted: a submission is acknowledged only
// once its block is stored, so a crash loses only unacknowledged work.
type pool struct {
	maxBytes int64
	maxWidth int

	mu       sync.Mutex // guards the fields below
	pending  []*submission
	byKey    map[[32]byte]*submission
	bytes    int64
	included map[[32]byte]uint64 // recently included submissions → height
	order    [][32]byte          // included keys, oldest first, to bound the map
}

// rememberIncluded bounds how many included submissions the pool answers
// for without including them again.
const rememberIncluded = 100_000

type submission struct {
	key    [32]byte
	blobs  []da.Blob
	bytes  int64
	worst  int           // worst-case shares in a square (SPEC §4)
	done   chan struct{} // closed once included
	height uint64
}

func newPool(maxBytes int64, maxWidth int) *pool {
	return &pool{maxBytes: maxBytes, maxWidth: maxWidth, byKey: map[[32]byte]*submission{}, included: map[[32]byte]uint64{}}
}

func submissionKey(blobs []da.Blob) [32]byte {
	h := sha256.New()
	var b [8]byte
	for i := range blobs {
		h.Write(blobs[i].Namespace[:])
		h.Write([]byte{blobs[i].ShareVersion, byte(len(blobs[i].Signer))})
		h.Write(blobs[i].Signer)
		binary.BigEndian.PutUint64(b[:], uint64(len(blobs[i].Data)))
		h.Write(b[:])
		h.Write(blobs[i].Data)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// worstShares is what blobs may take in a square: shares plus alignment.
func worstShares(blobs []da.Blob) int {
	n := 0
	for i := range blobs {
		c := blobs[i].ShareCount()
		n += c + da.SubTreeWidth(c, da.SubtreeRootThreshold) - 1
	}
	return n
}

// Add queues blobs, or finds them already queued or included, and returns
// the submission to wait on. Blobs that can never fit one square are
// da.ErrBlobTooLarge; a full pool is api.ErrPoolFull and nothing is kept.
func (p *pool) Add(blobs []da.Blob) (*submission, error) {
	s := &submission{key: submissionKey(blobs), blobs: blobs, worst: worstShares(blobs), done: make(chan struct{})}
	for i := range blobs {
		if err := blobs[i].Validate(); err != nil {
			return nil, fmt.Errorf("blob %d: %w", i, err)
		}
		s.bytes += int64(len(blobs[i].Data))
	}
	if limit := p.maxWidth * p.maxWidth; s.worst > limit {
		return nil, fmt.Errorf("%w: the blobs take up to %d shares, a %d×%d square holds %d", da.ErrBlobTooLarge, s.worst, p.maxWidth, p.maxWidth, limit)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.included[s.key]; ok {
		s.height = h
		close(s.done)
		return s, nil
	}
	if q, ok := p.byKey[s.key]; ok {
		return q, nil
	}
	if p.bytes+s.bytes > p.maxBytes {
		// Both sentinels: the REST API answers 503, and a peer that
		// forwarded the blobs learns the same.
		return nil, fmt.Errorf("%w (%w): %d of %d bytes pending", api.ErrPoolFull, p2p.ErrPoolFull, p.bytes, p.maxBytes)
	}
	p.pending = append(p.pending, s)
	p.byKey[s.key] = s
	p.bytes += s.bytes
	return s, nil
}

// Wait blocks until s is included and returns its height.
func (s *submission) Wait(ctx context.Context) (uint64, error) {
	select {
	case <-s.done:
		return s.height, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Take fills a square builder with pending submissions in arrival order,
// skipping those that do not fit what is left, and returns them.
func (p *pool) Take(sb *da.SquareBuilder) ([]*submission, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	limit := p.maxWidth * p.maxWidth
	var taken []*submission
	for _, s := range p.pending {
		if sb.WorstCaseShares()+s.worst > limit {
			continue
		}
		for i := range s.blobs {
			if err := sb.Append(s.blobs[i]); err != nil {
				// Unreachable: the worst case was checked above.
				return nil, fmt.Errorf("node: square builder refused a blob that fits: %w", err)
			}
		}
		taken = append(taken, s)
	}
	return taken, nil
}

// Included marks submissions as included at height, wakes their waiters
// and frees their bytes.
func (p *pool) Included(taken []*submission, height uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := map[[32]byte]bool{}
	for _, s := range taken {
		done[s.key] = true
		s.height = height
		delete(p.byKey, s.key)
		p.bytes -= s.bytes
		p.included[s.key] = height
		p.order = append(p.order, s.key)
		close(s.done)
	}
	kept := p.pending[:0]
	for _, s := range p.pending {
		if !done[s.key] {
			kept = append(kept, s)
		}
	}
	clear(p.pending[len(kept):])
	p.pending = kept
	for len(p.order) > rememberIncluded {
		delete(p.included, p.order[0])
		p.order = p.order[1:]
	}
}

// Stats are the pool's size, for metrics.
func (p *pool) Stats() (submissions int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending), p.bytes
}
