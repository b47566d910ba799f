package node

import "context"

// serveProtocols registers the request/response protocols this role
// serves besides header ranges.
func (n *Node) serveProtocols() {}

// squareLoop fetches the square of every stored header (full nodes).
func (n *Node) squareLoop(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
