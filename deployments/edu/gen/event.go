package gen

import "time"

// Kind is what an app event is, by the "type" the collector routes on.
type Kind uint8

// The kinds of app events.
const (
	KindSignal     Kind = iota // classroom signal → ods.classroom_signal (job 1, then job 3)
	KindAgora                  // audio/video quality report → ods.agora_record (job 5)
	KindQoS                    // recorded-course event → ods.qos_log (job 4)
	KindDictionary             // channel → ods.channel_name_dictionary (job 2)
	kinds
)

func (k Kind) String() string {
	switch k {
	case KindSignal:
		return "signal"
	case KindAgora:
		return "agora"
	case KindQoS:
		return "qos"
	case KindDictionary:
		return "dictionary"
	}
	return "unknown"
}

// Fate is what the generator did to an event on its way out.
type Fate uint8

// The fates of app events.
const (
	FateOnTime     Fate = iota // sent in the step of its event time
	FateOutOfOrder             // held back, by less than its job's out-of-orderness
	FateLate                   // its event time set far behind the clock: its job sends it to the late topic
	FateDuplicate              // the second copy of an event, sent again as an app's retry does
	FateMalformed              // a bad line: not JSON, not an object, or a field of the wrong type
	fates
)

func (f Fate) String() string {
	switch f {
	case FateOnTime:
		return "on_time"
	case FateOutOfOrder:
		return "out_of_order"
	case FateLate:
		return "late"
	case FateDuplicate:
		return "duplicate"
	case FateMalformed:
		return "malformed"
	}
	return "unknown"
}

// Event is one line the app posts to the collector, with what the pipeline
// must make of it.
type Event struct {
	Kind Kind
	Fate Fate
	// Time is the event time the line carries (zero for dictionary rows
	// and lines that are not JSON); SentAt the simulated time it is sent.
	Time   time.Time
	SentAt time.Time
	// Line is the JSON text, without the newline that ends it in a batch.
	Line []byte
	// Signal is the event a classroom signal must be classified as, "" when
	// no rule matches.
	Signal string
	// Late is how many records this event puts on its job's late topic
	// LateTopic: an agora report makes an audio and a video record, each
	// filtered on its own.
	Late      int
	LateTopic string
	// Refused marks a line the collector must refuse (207); DeadTopic and
	// Dead say where the pipeline dead-letters it, and how many times.
	Refused   bool
	DeadTopic string
	Dead      int
}

// Tick is what one step of the simulated clock produces: the app events to
// post and the business-database changes to write when the clock reaches At.
type Tick struct {
	At     time.Time
	Events []Event
	Rows   []Row
}

// RowOp is a change to the business database.
type RowOp uint8

// The changes.
const (
	// OpRegister inserts a student (uc_account.student: id, channel_id,
	// update_time) and its user (uc_account.user: id, name,
	// register_date_time, status).
	OpRegister RowOp = iota
	// OpChangeChannel moves a student to another channel.
	OpChangeChannel
	// OpCreateOrder inserts a course-pack order (crm.data_pack_order_info)
	// with status 1; the table numbers it (AUTO_INCREMENT).
	OpCreateOrder
	// OpConfirmOrder sets status 3 and confirm_date_time.
	OpConfirmOrder
	// OpCancelOrder sets status 2 and canceled_date_time.
	OpCancelOrder
	// OpRefundOrder sets status 4 and apply_refund_date.
	OpRefundOrder
	rowOps
)

func (op RowOp) String() string {
	switch op {
	case OpRegister:
		return "register"
	case OpChangeChannel:
		return "change_channel"
	case OpCreateOrder:
		return "create_order"
	case OpConfirmOrder:
		return "confirm_order"
	case OpCancelOrder:
		return "cancel_order"
	case OpRefundOrder:
		return "refund_order"
	}
	return "unknown"
}

// Row is one change to the business database, at simulated time At, which
// every time column it sets holds.
type Row struct {
	Op RowOp
	At time.Time

	// Students and users.
	StudentID int64
	Channel   *string // nil: NULL
	Name      string
	Status    string

	// Orders. Order numbers the generator's orders from 1 in each run; the
	// writer maps it to the row's id.
	Order      int64
	CCID       int64
	BusinessNo int64 // order_id, the business order number
	// Last marks the order's last change in this run.
	Last bool
}
