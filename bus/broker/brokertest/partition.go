package brokertest

import (
	"context"
	"errors"
	"net"
	"sync"
)

// Partition opens a client's connections to the broker and can cut them,
// like a network partition between that one client and the broker. Give
// its Dial to the client (kgo.Dialer, the worker's and group member's Dial).
type Partition struct {
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

// Dial connects, unless the partition is cut.
func (p *Partition) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return nil, errors.New("network partition")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, address)
	if err == nil {
		p.conns = append(p.conns, c)
	}
	return c, err
}

// Cut closes every open connection and refuses new ones until Heal.
func (p *Partition) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Heal lets the client connect again.
func (p *Partition) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}
