package api

import (
	"context"
	"time"
)

// Availability answers the availability routes (API.md §2 "Availability")
// and the event stream. Light nodes answer from their sampling verdicts;
// full nodes and validators from the squares they verified whole
// (confidence 1).
type Availability interface {
	// Availability is one height's status; ErrNotFound above the network
	// head.
	Availability(ctx context.Context, height uint64) (HeightAvailability, error)
	// Summary is the node's view of every height.
	Summary(ctx context.Context) (AvailabilitySummary, error)
	// Events sends every event at heights ≥ from whose type is in types
	// (all types when empty): first those already past, in height order,
	// then new ones as they happen, until ctx ends; then it closes the
	// channel. A client that reconnects with from = last height seen + 1
	// misses nothing.
	Events(ctx context.Context, from uint64, types map[string]bool) (<-chan Event, error)
}

// Event types.
const (
	EventHeader       = "header"
	EventAvailability = "availability"
	EventFraud        = "fraud"
)

// Event is one server-sent event: its type, its height and its JSON body
// (a HeaderJSON, a HeightAvailability, or a fraud notice).
type Event struct {
	Type   string
	Height uint64
	Data   any
	// ID, when set, is the event's SSE id: an EventCursor the backend can
	// resume after. Without it the id is the height.
	ID string
}

// EventResumer is an Availability whose events carry cursors (Event.ID),
// so a client reconnecting with Last-Event-ID resumes exactly after the
// last event it got, including verdicts that arrived late for old heights.
type EventResumer interface {
	// EventsAfter sends the events after the cursor's, or, when the cursor
	// is no longer in the backend's log (a restart, or a long absence),
	// every event at heights ≥ after.Floor; then new ones until ctx ends.
	EventsAfter(ctx context.Context, after EventCursor, types map[string]bool) (<-chan Event, error)
}

// SampleCounts are how many cells a height's verdict rests on.
type SampleCounts struct {
	Requested int `json:"requested"`
	Verified  int `json:"verified"`
}

// HeightAvailability answers GET /v1/availability/{height}.
type HeightAvailability struct {
	Height      uint64       `json:"height"`
	Status      string       `json:"status"` // pending, sampling, available, unavailable, fraud, pruned
	SquareWidth int          `json:"square_width"`
	Samples     SampleCounts `json:"samples"`
	Confidence  float64      `json:"confidence"`
	Bound       string       `json:"bound"`
	Updated     time.Time    `json:"updated"`
	// Cells are the cells a light node sampled at this height (none for
	// an empty block, a pending height or another role), so a client can
	// see where the verdict comes from.
	Cells []SampledCell `json:"cells,omitempty"`
}

// SampledCell is one cell of the extended square a light node sampled:
// verified against the data root (and then served to peers), or not
// (yet): still being asked, or failed when the height is unavailable.
type SampledCell struct {
	Row      int  `json:"row"`
	Col      int  `json:"col"`
	Verified bool `json:"verified"`
}

// AvailabilitySummary answers GET /v1/availability. Available heights are
// listed as inclusive ranges [from, to].
type AvailabilitySummary struct {
	NetworkHead uint64      `json:"network_head"`
	SampledHead uint64      `json:"sampled_head"`
	Available   [][2]uint64 `json:"available"`
	Unavailable []uint64    `json:"unavailable"`
	Fraud       []uint64    `json:"fraud"`
	CatchingUp  bool        `json:"catching_up"`
}
