package sampling

import "fmt"

// Status is the availability status of one height, as the REST API reports
// it (API.md "Availability"). The zero value is not a valid status.
type Status uint8

const (
	// StatusPending: the header is known, sampling has not started.
	StatusPending Status = iota + 1
	// StatusSampling: a session is asking for the height's cells.
	StatusSampling
	// StatusAvailable: every chosen cell was verified against the data
	// root (or the block is empty).
	StatusAvailable
	// StatusUnavailable: some chosen cell could not be obtained; the
	// height is retried with backoff and reported as unavailable until a
	// retry succeeds.
	StatusUnavailable
	// StatusFraud: a valid fraud proof exists for the height. Final.
	StatusFraud
	// StatusPruned: the height is below the storage window.
	StatusPruned
)

var statusNames = [...]string{
	StatusPending:     "pending",
	StatusSampling:    "sampling",
	StatusAvailable:   "available",
	StatusUnavailable: "unavailable",
	StatusFraud:       "fraud",
	StatusPruned:      "pruned",
}

// Valid reports whether s is one of the six statuses.
func (s Status) Valid() bool { return s >= StatusPending && s <= StatusPruned }

// String returns the API name of s ("pending", "sampling", ...).
func (s Status) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Status(%d)", uint8(s))
	}
	return statusNames[s]
}

// ParseStatus is the inverse of String; it accepts exactly the six API
// names.
func ParseStatus(name string) (Status, error) {
	for s := StatusPending; s <= StatusPruned; s++ {
		if statusNames[s] == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrStatus, name)
}

// MarshalText encodes s by its API name.
func (s Status) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrStatus, uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText decodes an API name.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
