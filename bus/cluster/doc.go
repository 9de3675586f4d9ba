// Package cluster places connectors and tasks on the workers of a group,
// using Kafka's own group membership protocol as the coordinator: no
// consensus of our own, no extra service.
//
// Workers join a classic Kafka group with protocol type "connect", as Kafka
// Connect's workers do. Each member's join metadata names the worker (id,
// REST URL) and the units (connectors and tasks) it currently owns; the member
// Kafka elects leader computes a Plan from every member's metadata and the
// units the configs topic asks for, and the coordinator hands that plan to
// every member. librdkafka cannot carry custom group metadata, so the group
// requests are raw JoinGroup/SyncGroup/Heartbeat/LeaveGroup messages (franz-go's
// kmsg), sent with franz-go's client as the transport.
//
// Placement is incremental and sticky, as in Kafka Connect's incremental
// cooperative protocol (KIP-415): a unit stays where it runs; a unit that must
// move is first revoked from its owner, which stops it (flushing and
// committing) and rejoins, and only the next generation assigns it elsewhere.
// So no unit ever runs on two members at once, even during a rebalance. A
// member that cannot reach the coordinator stops everything it owns before
// its session can expire (self-fencing), so the survivors never take over a
// unit that a partitioned worker still runs; Kafka's transactional ids fence
// what a zombie might still try to write.
package cluster
