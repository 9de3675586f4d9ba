package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Group protocol names. The type is Kafka Connect's, so a Kafka Connect
// cluster and a consumer group cannot share the group by mistake (the broker
// answers INCONSISTENT_GROUP_PROTOCOL); the protocol name is ours.
const (
	ProtocolType = "connect"
	ProtocolName = "tributary.v1"
)

// Config configures a member.
type Config struct {
	Brokers  []string
	ClientID string
	Group    string
	// SessionTimeout is how long the coordinator waits for a heartbeat
	// before it drops the member and moves its units.
	SessionTimeout time.Duration
	// RebalanceTimeout bounds how long members get to stop revoked units
	// and rejoin.
	RebalanceTimeout time.Duration
	// HeartbeatInterval is how often the member heartbeats.
	HeartbeatInterval time.Duration
	Logger            *slog.Logger
	// Dial, when set, opens the member's broker connections (tests cut it
	// to partition a member from the broker).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Security holds librdkafka's security properties (security.protocol,
	// sasl.mechanisms, sasl.username, sasl.password, ssl.*), as the worker's
	// other clients take them.
	Security map[string]string
}

func (c Config) withDefaults() Config {
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.RebalanceTimeout <= 0 {
		c.RebalanceTimeout = time.Minute
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = c.SessionTimeout / 10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// FenceAfter is how long a member may go without a successful heartbeat
// before it must stop its units: early enough that they are stopped before
// the coordinator can drop it and hand them to another member.
func (c Config) FenceAfter() time.Duration {
	c = c.withDefaults()
	return max(c.SessionTimeout-2*c.HeartbeatInterval, c.SessionTimeout/2)
}

// Errors of a member's requests.
var (
	// ErrRebalance means the group is forming a new generation: rejoin.
	ErrRebalance = errors.New("the group is rebalancing")
	// ErrLost means the coordinator no longer counts this member (its
	// session expired, or a generation formed without it): whatever it ran
	// may already run elsewhere.
	ErrLost = errors.New("group membership lost")
)

// Member is one worker's membership in the group.
type Member struct {
	cfg Config
	cl  *kgo.Client
	log *slog.Logger

	mu          sync.Mutex
	memberID    string
	generation  int32
	lastContact time.Time // when the last request that proved membership was sent
	joining     bool
}

// NewMember makes a member; Join joins the group.
func NewMember(cfg Config) (*Member, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Brokers) == 0 || cfg.Group == "" {
		return nil, errors.New("cluster member: brokers and group are required")
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.RequestTimeoutOverhead(cfg.SessionTimeout / 2),
		// A request that cannot even be sent fails fast, so the member
		// notices and fences itself instead of retrying past its session.
		kgo.RetryTimeout(cfg.HeartbeatInterval),
	}
	security, err := securityOptions(cfg.Security)
	if err != nil {
		return nil, fmt.Errorf("cluster member: %w", err)
	}
	opts = append(opts, security...)
	if cfg.Dial != nil {
		opts = append(opts, kgo.Dialer(cfg.Dial))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster member client: %w", err)
	}
	return &Member{cfg: cfg, cl: cl, log: cfg.Logger}, nil
}

// Config returns the member's effective config.
func (m *Member) Config() Config { return m.cfg }

// ID returns the member id the coordinator gave, and the generation.
func (m *Member) ID() (string, int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.memberID, m.generation
}

// Join joins the group (or rejoins it) and returns the plan of the new
// generation. When Kafka elects this member leader, assign computes the plan
// from every member's metadata. ErrLost means the member had been dropped;
// it joins afresh on the next call.
func (m *Member) Join(ctx context.Context, meta Metadata, assign func(context.Context, []Joined) (Plan, error)) (Plan, error) {
	meta.Version = 1
	metaBytes, err := json.Marshal(meta)
	if err != nil {
		return Plan{}, err
	}
	m.mu.Lock()
	m.joining = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.joining = false
		m.mu.Unlock()
	}()
	for {
		m.mu.Lock()
		memberID := m.memberID
		m.mu.Unlock()
		join := kmsg.NewPtrJoinGroupRequest()
		join.Group = m.cfg.Group
		join.SessionTimeoutMillis = int32(m.cfg.SessionTimeout.Milliseconds())
		join.RebalanceTimeoutMillis = int32(m.cfg.RebalanceTimeout.Milliseconds())
		join.MemberID = memberID
		join.ProtocolType = ProtocolType
		proto := kmsg.NewJoinGroupRequestProtocol()
		proto.Name = ProtocolName
		proto.Metadata = metaBytes
		join.Protocols = append(join.Protocols, proto)
		m.log.Debug("join group request", "group", m.cfg.Group, "member", memberID)
		resp, err := join.RequestWith(ctx, m.cl)
		if err != nil {
			return Plan{}, fmt.Errorf("join group %s: %w", m.cfg.Group, err)
		}
		m.log.Debug("join group response", "group", m.cfg.Group, "member", resp.MemberID, "generation", resp.Generation, "code", resp.ErrorCode)
		switch err := kerr.ErrorForCode(resp.ErrorCode); {
		case err == nil:
		case errors.Is(err, kerr.MemberIDRequired):
			m.setMember(resp.MemberID, 0)
			continue
		case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.IllegalGeneration):
			m.setMember("", 0)
			if memberID != "" {
				return Plan{}, fmt.Errorf("join group %s: %w (%v)", m.cfg.Group, ErrLost, err)
			}
			continue
		case errors.Is(err, kerr.InconsistentGroupProtocol):
			return Plan{}, fmt.Errorf("join group %s: the group is used by clients of another kind (not Tributary workers): %w", m.cfg.Group, err)
		case kerr.IsRetriable(err) || errors.Is(err, kerr.RebalanceInProgress):
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return Plan{}, err
			}
			continue
		default:
			return Plan{}, fmt.Errorf("join group %s: %w", m.cfg.Group, err)
		}
		m.setMember(resp.MemberID, resp.Generation)

		syncReq := kmsg.NewPtrSyncGroupRequest()
		syncReq.Group = m.cfg.Group
		syncReq.Generation = resp.Generation
		syncReq.MemberID = resp.MemberID
		syncReq.ProtocolType = kmsg.StringPtr(ProtocolType)
		syncReq.Protocol = kmsg.StringPtr(ProtocolName)
		if resp.LeaderID == resp.MemberID {
			assignments, err := m.lead(ctx, resp, assign)
			if err != nil {
				return Plan{}, err
			}
			syncReq.GroupAssignment = assignments
		}
		syncSent := time.Now()
		syncResp, err := syncReq.RequestWith(ctx, m.cl)
		if err != nil {
			return Plan{}, fmt.Errorf("sync group %s: %w", m.cfg.Group, err)
		}
		switch err := kerr.ErrorForCode(syncResp.ErrorCode); {
		case err == nil:
		case errors.Is(err, kerr.RebalanceInProgress):
			continue
		case errors.Is(err, kerr.UnknownMemberID):
			m.setMember("", 0)
			return Plan{}, fmt.Errorf("sync group %s: %w (%v)", m.cfg.Group, ErrLost, err)
		case errors.Is(err, kerr.IllegalGeneration):
			return Plan{}, fmt.Errorf("sync group %s: %w (%v)", m.cfg.Group, ErrLost, err)
		case kerr.IsRetriable(err):
			continue
		default:
			return Plan{}, fmt.Errorf("sync group %s: %w", m.cfg.Group, err)
		}
		var plan Plan
		if err := json.Unmarshal(syncResp.MemberAssignment, &plan); err != nil {
			return Plan{}, fmt.Errorf("group %s: unreadable assignment from the leader: %w", m.cfg.Group, err)
		}
		m.contact(syncSent)
		return plan, nil
	}
}

// lead computes the plan for a generation this member leads.
func (m *Member) lead(ctx context.Context, resp *kmsg.JoinGroupResponse, assign func(context.Context, []Joined) (Plan, error)) ([]kmsg.SyncGroupRequestGroupAssignment, error) {
	var members []Joined
	for _, jm := range resp.Members {
		var meta Metadata
		if err := json.Unmarshal(jm.ProtocolMetadata, &meta); err != nil {
			// A member we cannot read gets no units; its worker id says so.
			meta = Metadata{WorkerID: "unreadable:" + jm.MemberID}
		}
		members = append(members, Joined{MemberID: jm.MemberID, Metadata: meta})
	}
	plan, err := assign(ctx, members)
	if err != nil {
		return nil, fmt.Errorf("compute the group's assignment: %w", err)
	}
	plan.Generation = resp.Generation
	data, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	out := make([]kmsg.SyncGroupRequestGroupAssignment, 0, len(members))
	for _, jm := range members {
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		a.MemberID = jm.MemberID
		a.MemberAssignment = data
		out = append(out, a)
	}
	return out, nil
}

// Heartbeat tells the coordinator the member is alive. ErrRebalance asks it
// to rejoin; ErrLost means it was dropped; other errors are transport
// trouble, to retry.
func (m *Member) Heartbeat(ctx context.Context) error {
	m.mu.Lock()
	memberID, gen := m.memberID, m.generation
	m.mu.Unlock()
	if memberID == "" {
		return ErrLost
	}
	ctx, cancel := context.WithTimeout(ctx, max(m.cfg.HeartbeatInterval*2, time.Second))
	defer cancel()
	sent := time.Now()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group = m.cfg.Group
	req.Generation = gen
	req.MemberID = memberID
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if resp.ErrorCode != 0 {
		m.log.Debug("heartbeat", "group", m.cfg.Group, "member", memberID, "generation", gen, "code", resp.ErrorCode)
	}
	switch err := kerr.ErrorForCode(resp.ErrorCode); {
	case err == nil:
		m.contact(sent)
		return nil
	case errors.Is(err, kerr.RebalanceInProgress):
		m.contact(sent)
		return ErrRebalance
	case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.FencedInstanceID):
		m.setMember("", 0)
		return fmt.Errorf("%w (%v)", ErrLost, err)
	case errors.Is(err, kerr.IllegalGeneration):
		// A generation formed without this member: its units may have
		// moved. The coordinator may still know the member id, which a
		// rejoin or a leave then uses.
		return fmt.Errorf("%w (%v)", ErrLost, err)
	default:
		return fmt.Errorf("heartbeat: %w", err)
	}
}

// FenceDue reports whether the member went so long without reaching the
// coordinator that its session may expire: it must stop what it runs. A
// member waiting in JoinGroup is counted alive by the coordinator.
func (m *Member) FenceDue() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.joining && m.memberID != "" && time.Since(m.lastContact) > m.cfg.FenceAfter()
}

// SinceContact is how long ago the last request that proved membership was sent.
func (m *Member) SinceContact() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Since(m.lastContact)
}

// Leave leaves the group so the others take over at once, instead of after
// the session timeout.
func (m *Member) Leave(ctx context.Context) error {
	m.mu.Lock()
	memberID := m.memberID
	m.memberID = ""
	m.mu.Unlock()
	if memberID == "" {
		return nil
	}
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = m.cfg.Group
	req.MemberID = memberID
	lm := kmsg.NewLeaveGroupRequestMember()
	lm.MemberID = memberID
	req.Members = append(req.Members, lm)
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return fmt.Errorf("leave group %s: %w", m.cfg.Group, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil && !errors.Is(err, kerr.UnknownMemberID) {
		return fmt.Errorf("leave group %s: %w", m.cfg.Group, err)
	}
	return nil
}

// Close releases the client.
func (m *Member) Close() { m.cl.Close() }

func (m *Member) setMember(id string, gen int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memberID, m.generation = id, gen
}

func (m *Member) contact(sent time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sent.After(m.lastContact) {
		m.lastContact = sent
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
