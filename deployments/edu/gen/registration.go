package gen

import (
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// channel is a registration channel of the dictionary (job 2): job 6 counts
// a student under its channel's level, A to D, or 'other'.
type channel struct {
	id, chinese, english, level string
}

// Channels posted as the dictionary: two of each level A to D, and some
// whose level is another one ('E', lower-case 'a', empty), which count as
// 'other'.
var dictionaryChannels = []channel{
	{"1", "一级渠道", "Level A channel", "A"},
	{"2", "二级渠道", "Level B channel", "B"},
	{"3", "三级渠道", "Level C channel", "C"},
	{"4", "四级渠道", "Level D channel", "D"},
	{"web-1", "官网A", "Website A", "A"},
	{"web-2", "官网B", "Website B", "B"},
	{"app-3", "应用C", "App C", "C"},
	{"app-4", "应用D", "App D", "D"},
	{"9", "五级渠道", "Level E channel", "E"},
	{"10", "小写渠道", "Lower-case a channel", "a"},
	{"11", "无级渠道", "Channel without a level", ""},
}

// unknownChannels are channels the dictionary does not hold: their students
// count as 'other', as do those without a channel.
var unknownChannels = []string{"404", "partner-x"}

// drawChannel picks a student's channel: mostly of a level A to D, some of
// another level, some unknown, some NULL.
func (g *Generator) drawChannel() *string {
	var id string
	switch pick(g.rng, []int{75, 10, 7, 8}) {
	case 0:
		id = dictionaryChannels[g.rng.IntN(8)].id
	case 1:
		id = dictionaryChannels[8+g.rng.IntN(len(dictionaryChannels)-8)].id
	case 2:
		id = unknownChannels[g.rng.IntN(len(unknownChannels))]
	default:
		return nil
	}
	return &id
}

// dictionary posts the channel dictionary (type dictionary), at the start.
func (g *Generator) dictionary() {
	at := g.cfg.Start.In(shanghai).Format(time.DateTime)
	for _, c := range dictionaryChannels {
		b := []byte(`{"type":"dictionary","id":`)
		b = sdk.AppendJSONString(b, c.id)
		b = append(b, `,"chinese_name":`...)
		b = sdk.AppendJSONString(b, c.chinese)
		b = append(b, `,"english_name":`...)
		b = sdk.AppendJSONString(b, c.english)
		b = append(b, `,"level":`...)
		b = sdk.AppendJSONString(b, c.level)
		b = append(b, `,"pid":"0","create_time":`...)
		b = sdk.AppendJSONString(b, at)
		b = append(b, `,"update_time":`...)
		b = sdk.AppendJSONString(b, at)
		b = append(b, `,"dept_id":"1"}`...)
		g.tick.Events = append(g.tick.Events, Event{Kind: KindDictionary, Line: b})
	}
}

// register writes the registrations arriving up to to: a student and its
// user, registered then. Some are test accounts (names job 6's filter
// drops), some users are not NORMAL, and some students move to another
// channel later, which job 6 must take back from the first level's count.
func (g *Generator) register(to time.Time) {
	if g.cfg.RegistrationsPerHour <= 0 {
		return
	}
	mean := time.Duration(float64(time.Hour) / g.cfg.RegistrationsPerHour)
	for ; !g.nextRegister.After(to); g.nextRegister = g.nextRegister.Add(exponential(g.rng, mean)) {
		at := g.nextRegister
		id := g.nextStudent
		g.nextStudent++
		g.recent(id)
		ids := strconv.FormatInt(id, 10)
		name := "学员" + ids
		if g.rng.IntN(2) == 0 {
			name = "student" + ids
		}
		if g.rng.Float64() < 0.06 {
			name = []string{"测试" + ids, "DM_" + ids, "test" + ids, "qa_test_" + ids}[g.rng.IntN(4)]
		}
		status := "NORMAL"
		if u := g.rng.Float64(); u < 0.04 {
			status = "FROZEN"
		} else if u < 0.07 {
			status = "CANCELLED"
		}
		first := g.drawChannel()
		g.tick.Rows = append(g.tick.Rows, Row{Op: OpRegister, At: at, StudentID: id, Channel: first, Name: name, Status: status})
		if g.rng.Float64() < 0.06 {
			later := g.drawChannel()
			for sameChannel(first, later) {
				later = g.drawChannel()
			}
			when := at.Add(between(g.rng, 5*time.Minute, 90*time.Minute))
			g.agenda.add(pending{at: when, row: &Row{Op: OpChangeChannel, At: when, StudentID: id, Channel: later}})
		}
	}
}

func sameChannel(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
