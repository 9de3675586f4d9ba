package gen

import "time"

// order writes the course-pack orders arriving up to to (status 1) and
// schedules what becomes of them: four in five are confirmed (status 3,
// which job 7 counts on the consultant's day of confirm_date_time) within
// an hour, and of those about one in seven is refunded later (status 4,
// which takes it out of the count again); one in ten is cancelled
// (status 2); the rest stay unpaid.
func (g *Generator) order(to time.Time) {
	if g.cfg.OrdersPerHour <= 0 {
		return
	}
	mean := time.Duration(float64(time.Hour) / g.cfg.OrdersPerHour)
	for ; !g.nextOrderAt.After(to); g.nextOrderAt = g.nextOrderAt.Add(exponential(g.rng, mean)) {
		at := g.nextOrderAt
		g.nextOrder++
		n := g.nextOrder
		student := max(1, g.cfg.FirstStudentID-1-g.rng.Int64N(1000))
		if len(g.students) > 0 {
			student = g.students[g.rng.IntN(len(g.students))]
		}
		create := Row{Op: OpCreateOrder, At: at, Order: n, CCID: 1 + g.rng.Int64N(24), StudentID: student, BusinessNo: 7_000_000 + n}
		later := func(op RowOp, after time.Time, lo, hi time.Duration, last bool) time.Time {
			when := after.Add(between(g.rng, lo, hi))
			g.agenda.add(pending{at: when, row: &Row{Op: op, At: when, Order: n, Last: last}})
			return when
		}
		switch u := g.rng.Float64(); {
		case u < 0.8:
			refund := g.rng.Float64() < 0.15
			confirmed := later(OpConfirmOrder, at, 2*time.Minute, time.Hour, !refund)
			if refund {
				later(OpRefundOrder, confirmed, 30*time.Minute, 24*time.Hour, true)
			}
		case u < 0.9:
			later(OpCancelOrder, at, 5*time.Minute, 2*time.Hour, true)
		default:
			create.Last = true
		}
		g.tick.Rows = append(g.tick.Rows, create)
	}
}
