package api

import "net/http"

// GET /v1/availability/{height} (API.md §2 "Availability"): the backend
// answers ErrNotFound above the network head, which becomes 404.
func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	height, err := pathHeight(r)
	if err == nil && s.svc.Availability == nil {
		err = ErrNotServed
	}
	var a HeightAvailability
	if err == nil {
		a, err = s.svc.Availability.Availability(r.Context(), height)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, a)
}

// GET /v1/availability: the node's summary. Empty lists are [] so clients
// can iterate without a null check.
func (s *Server) availabilitySummary(w http.ResponseWriter, r *http.Request) {
	if s.svc.Availability == nil {
		writeError(w, ErrNotServed)
		return
	}
	sum, err := s.svc.Availability.Summary(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if sum.Available == nil {
		sum.Available = [][2]uint64{}
	}
	if sum.Unavailable == nil {
		sum.Unavailable = []uint64{}
	}
	if sum.Fraud == nil {
		sum.Fraud = []uint64{}
	}
	writeJSON(w, sum)
}
