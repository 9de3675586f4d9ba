package validate

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// registrationsBackup is job 6's input: the CDC of students and users
// (creates, updates that change the channel, the hour and the name, a
// delete with its tombstone, a repeated event, a student without a user,
// a null channel), test accounts and a user not NORMAL, and the channel
// dictionary, one of whose levels changes while students register.
func registrationsBackup(t *testing.T) (root string, want []Row) {
	t0 := wall(t, "2024-05-01 10:00:00")
	b := newBackup(t)
	// at is the Kafka timestamp: when the CDC source or the collector
	// handed the record over.
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	key := func(id int) string { return fmt.Sprintf(`{"id":%d}`, id) }
	part := func(id int) int32 { return int32(id % 2) }
	student := func(id int, op string, before, after obj, s int) {
		b.value("edu.uc_account.student", part(id), key(id), envelope(op, before, after), at(s))
	}
	user := func(id int, op string, before, after obj, s int) {
		b.value("edu.uc_account.user", part(id), key(id), envelope(op, before, after), at(s))
	}
	channel := func(id, level string, s int) {
		b.value("dwd.channel_name_dictionary", 0, md5Hex(id), obj{"rowkey": md5Hex(id), "id": id, "chinese_name": "渠道",
			"english_name": id, "level": level, "pid": "p", "create_time": "2024-04-01", "update_time": "2024-04-01", "dept_id": "d"}, at(s))
	}
	st := func(id int, ch any) obj {
		return obj{"id": id, "channel_id": ch, "update_time": datetimeMs(t, "2024-05-01 09:00:00")}
	}
	us := func(id int, name, reg, status string) obj {
		return obj{"id": id, "name": name, "register_date_time": datetimeMs(t, reg), "status": status}
	}
	channel("c1", "A", 0)
	channel("c2", "B", 0)
	channel("c3", "Z", 0) // not A-D: other
	channel("c2", "C", 100)

	newStudent := func(id int, ch any, name, reg, status string, s int) {
		student(id, "c", nil, st(id, ch), s)
		user(id, "c", nil, us(id, name, reg, status), s)
	}
	newStudent(1, "c1", "张三", "2024-05-01 10:15:00", "NORMAL", 10)
	student(1, "c", nil, st(1, "c1"), 11)                           // the same event again
	newStudent(2, "c2", "李四", "2024-05-01 10:40:00", "NORMAL", 20)  // level B then
	newStudent(3, "c2", "王五", "2024-05-01 11:05:00", "NORMAL", 200) // level C by now
	newStudent(4, "c3", "赵六", "2024-05-01 10:50:00", "NORMAL", 30)
	newStudent(5, "c1", "测试账号", "2024-05-01 10:10:00", "NORMAL", 40)
	newStudent(6, "c1", "DM_bob", "2024-05-01 10:10:00", "NORMAL", 41)
	newStudent(7, "c1", "DMabc", "2024-05-01 10:20:00", "NORMAL", 42) // DM\_% wants the underscore
	newStudent(8, "c1", "孙七", "2024-05-01 10:10:00", "LOCKED", 43)
	newStudent(9, "c1", "my test", "2024-05-01 10:10:00", "NORMAL", 44)
	newStudent(10, "c1", "周八", "2024-05-01 10:30:00", "NORMAL", 45)
	user(10, "d", us(10, "周八", "2024-05-01 10:30:00", "NORMAL"), nil, 46)
	b.add("edu.uc_account.user", part(10), []byte(key(10)), nil, at(46)) // the tombstone after the delete
	newStudent(11, "c1", "吴九", "2024-05-01 10:05:00", "NORMAL", 47)
	student(11, "u", st(11, "c1"), st(11, "c3"), 48) // moved to another channel
	newStudent(12, "c1", "郑十", "2024-05-01 10:10:00", "NORMAL", 49)
	user(12, "u", us(12, "郑十", "2024-05-01 10:10:00", "NORMAL"), us(12, "test12", "2024-05-01 10:10:00", "NORMAL"), 50)
	student(13, "c", nil, st(13, "c1"), 51) // no user
	newStudent(14, nil, "钱一", "2024-05-01 12:00:00", "NORMAL", 52)
	newStudent(15, "c1", "陈二", "2024-05-01 10:25:00", "NORMAL", 53)
	user(15, "u", us(15, "陈二", "2024-05-01 10:25:00", "NORMAL"), us(15, "陈二", "2024-05-01 12:25:00", "NORMAL"), 54)
	newStudent(16, "c1", "林三", "2024-05-01 10:35:00", "NORMAL", 55)
	student(16, "d", st(16, "c1"), nil, 56) // deleted, no tombstone (tombstones.on.delete=false)

	want = []Row{
		{"2024050110A", int64(2024050110), "A", int64(2)},         // 1, 7
		{"2024050110B", int64(2024050110), "B", int64(1)},         // 2
		{"2024050110other", int64(2024050110), "other", int64(2)}, // 4, 11
		{"2024050111C", int64(2024050111), "C", int64(1)},         // 3
		{"2024050112A", int64(2024050112), "A", int64(1)},         // 15
		{"2024050112other", int64(2024050112), "other", int64(1)}, // 14
	}
	return b.write(), want
}

func TestHourlyRegistrationsRecomputed(t *testing.T) {
	job := Jobs[3]
	root, want := registrationsBackup(t)
	batch, err := Recompute(context.Background(), job, root, validationNow)
	if err != nil {
		t.Fatal(err)
	}
	checkRecomputed(t, job, batch.Rows, want)
	if batch.LateExcluded != 0 || batch.LateRecords != 0 || batch.InputRecords != 42 {
		t.Errorf("late excluded %d of %d late records, %d input records; want 0 of 0, 42", batch.LateExcluded, batch.LateRecords, batch.InputRecords)
	}
}

func TestHourlyRegistrationsAgainstTable(t *testing.T) {
	root, want := registrationsBackup(t)
	checkAgainstTables(t, Jobs[3], root, want)
}
