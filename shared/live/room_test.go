package live

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStatusTransitionTable(t *testing.T) {
	// want[from][to]: the only legal transitions.
	want := map[RoomStatus]map[RoomStatus]bool{
		StatusCreated: {StatusLive: true, StatusEnded: true},
		StatusLive:    {StatusPaused: true, StatusEnded: true},
		StatusPaused:  {StatusLive: true, StatusEnded: true},
		StatusEnded:   {},
	}
	for _, from := range RoomStatuses {
		for _, to := range RoomStatuses {
			if got := CanTransition(from, to); got != want[from][to] {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want[from][to])
			}
		}
	}
	if CanTransition("bogus", StatusLive) || CanTransition(StatusLive, "bogus") {
		t.Error("an unknown status can take part in a transition")
	}
}

func TestTransitionRecordsTimesAndRefusesIllegalMoves(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	r := NewRoom("r1", "Spring sale", "anchor_1", "", nil, nil, t0)
	if r.Status != StatusCreated || r.StreamName == "" {
		t.Fatalf("new room %+v", r)
	}
	step := func(to RoomStatus, at time.Time, wantChanged bool, wantCode string) {
		t.Helper()
		before := r
		changed, err := r.Transition(to, at)
		if wantCode != "" {
			if ErrorCode(err) != wantCode {
				t.Fatalf("%s → %s: err %v, want code %s", before.Status, to, err, wantCode)
			}
			if r.Status != before.Status || r.EndedAt != before.EndedAt || r.StartedAt != before.StartedAt {
				t.Fatalf("a refused transition changed the room: %+v", r)
			}
			return
		}
		if err != nil || changed != wantChanged {
			t.Fatalf("%s → %s: changed %v err %v, want changed %v", before.Status, to, changed, err, wantChanged)
		}
	}
	step(StatusPaused, t0, false, EConflict) // not live yet
	step(StatusCreated, t0, false, "")       // same status: no change, no error
	step(StatusLive, t0.Add(time.Minute), true, "")
	step(StatusLive, t0.Add(2*time.Minute), false, "")
	step(StatusPaused, t0.Add(3*time.Minute), true, "")
	step(StatusLive, t0.Add(4*time.Minute), true, "")
	if !r.StartedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("StartedAt %v moved when the room went live again", r.StartedAt)
	}
	step(StatusCreated, t0, false, EConflict)
	step(StatusEnded, t0.Add(5*time.Minute), true, "")
	if r.EndedAt == nil || !r.EndedAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("EndedAt %v", r.EndedAt)
	}
	step(StatusLive, t0, false, EConflict)
	step(StatusPaused, t0, false, EConflict)
	step(StatusEnded, t0, false, "") // ended → ended changes nothing
	step("bogus", t0, false, EInvalid)

	_, err := r.Transition(StatusLive, t0)
	if msg := ErrorMessage(err); !strings.Contains(msg, "ended") {
		t.Fatalf("message %q does not say the room ended", msg)
	}
}

func TestCreatedRoomMayEndWithoutGoingLive(t *testing.T) {
	r := NewRoom("r1", "t", "a", "", nil, nil, time.Now())
	if changed, err := r.Transition(StatusEnded, time.Now()); err != nil || !changed || r.StartedAt != nil || r.EndedAt == nil {
		t.Fatalf("created → ended: %v %v %+v", changed, err, r)
	}
}

func validProduct() Product {
	stock := int64(12)
	return Product{ProductID: "sku-1", Name: "抹茶ラテ 200g", Price: "1980", Currency: "JPY",
		ImageURL: "https://img.example.com/a.png", URL: "https://shop.example.com/p/1", Stock: &stock}
}

func TestProductValidation(t *testing.T) {
	zero := int64(0)
	negative := int64(-1)
	saleEnd := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		change func(p *Product)
		ok     bool
	}{
		{"valid", func(p *Product) {}, true},
		{"fraction", func(p *Product) { p.Price = "19.99"; p.Currency = "USD" }, true},
		{"free", func(p *Product) { p.Price = "0" }, true},
		{"zero stock", func(p *Product) { p.Stock = &zero }, true},
		{"sale", func(p *Product) { p.SalePrice = "1500"; p.SaleEndsAt = &saleEnd }, true},
		{"sale at price", func(p *Product) { p.SalePrice = "1980.00" }, true},
		{"no optional fields", func(p *Product) { p.ImageURL, p.URL, p.Stock = "", "", nil }, true},
		{"100 characters", func(p *Product) { p.Name = strings.Repeat("あ", 100) }, true},
		{"negative price", func(p *Product) { p.Price = "-1" }, false},
		{"missing price", func(p *Product) { p.Price = "" }, false},
		{"exponent", func(p *Product) { p.Price = "1e3" }, false},
		{"leading zero", func(p *Product) { p.Price = "0100" }, false},
		{"bare point", func(p *Product) { p.Price = "10." }, false},
		{"five decimals", func(p *Product) { p.Price = "1.00001" }, false},
		{"lower-case currency", func(p *Product) { p.Currency = "yen" }, false},
		{"long currency", func(p *Product) { p.Currency = "JPYY" }, false},
		{"empty name", func(p *Product) { p.Name = "  " }, false},
		{"101 characters", func(p *Product) { p.Name = strings.Repeat("a", 101) }, false},
		{"invalid UTF-8 name", func(p *Product) { p.Name = "bad \xff name" }, false},
		{"control character", func(p *Product) { p.Name = "a\x07b" }, false},
		{"no product ID", func(p *Product) { p.ProductID = "" }, false},
		{"ftp URL", func(p *Product) { p.URL = "ftp://shop.example.com/p/1" }, false},
		{"relative image", func(p *Product) { p.ImageURL = "/img/a.png" }, false},
		{"javascript URL", func(p *Product) { p.URL = "javascript:alert(1)" }, false},
		{"longest image URL", func(p *Product) { p.ImageURL = "https://img.example.com/" + strings.Repeat("a", MaxURLBytes-24) }, true},
		{"image URL too long", func(p *Product) { p.ImageURL = "https://img.example.com/" + strings.Repeat("a", MaxURLBytes-23) }, false},
		{"negative stock", func(p *Product) { p.Stock = &negative }, false},
		{"sale above price", func(p *Product) { p.SalePrice = "1980.01" }, false},
		{"sale end without sale", func(p *Product) { p.SaleEndsAt = &saleEnd }, false},
	}
	for _, c := range cases {
		p := validProduct()
		c.change(&p)
		err := p.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", c.name, err, c.ok)
		}
		if err != nil && ErrorCode(err) != EInvalid {
			t.Errorf("%s: code %s, want %s", c.name, ErrorCode(err), EInvalid)
		}
	}
}

func TestDecimalDecodesStringsAndNumbers(t *testing.T) {
	for in, want := range map[string]Decimal{`"19.99"`: "19.99", `19.99`: "19.99", `-5`: "-5", `null`: ""} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil || d != want {
			t.Errorf("decode %s: %q %v, want %q", in, d, err, want)
		}
	}
	var d Decimal
	if err := json.Unmarshal([]byte(`true`), &d); err == nil {
		t.Error("a boolean decoded as an amount")
	}
	b, _ := json.Marshal(struct{ P Decimal }{"7"})
	if string(b) != `{"P":"7"}` {
		t.Errorf("encoded %s", b)
	}
}

func TestFieldValueIsCompactAndRefusesOversizeWithoutTruncating(t *testing.T) {
	p := validProduct()
	p.URL = "https://shop.example.com/p/1?a=1&b=<2>"
	v, err := p.FieldValue()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"productId":"sku-1","name":"抹茶ラテ 200g","price":"1980","currency":"JPY","imageUrl":"https://img.example.com/a.png","url":"https://shop.example.com/p/1?a=1&b=<2>","stock":12}`
	if v != want {
		t.Fatalf("field value\n got %s\nwant %s", v, want)
	}
	var back Product
	if err := json.Unmarshal([]byte(v), &back); err != nil || back.Name != p.Name || *back.Stock != 12 {
		t.Fatalf("round trip: %+v %v", back, err)
	}

	// Grow the URL until the encoding is exactly 512 bytes, then one more.
	p.URL += strings.Repeat("x", MaxProductFieldBytes-len(v))
	if v, err := p.FieldValue(); err != nil || len(v) != MaxProductFieldBytes {
		t.Fatalf("512 bytes: %d %v", len(v), err)
	}
	p.URL += "xyz"
	_, err = p.FieldValue()
	if ErrorCode(err) != EUnprocessable || !strings.Contains(ErrorMessage(err), "3 more than the 512") {
		t.Fatalf("515 bytes: %v", err)
	}
}

func TestStreamName(t *testing.T) {
	safe := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	ids := []string{"room-1", "room_1", "a b", "a_b", "a/b", "日本", "@odd#id!", strings.Repeat("z", 48), strings.Repeat("z", 47) + "y"}
	seen := map[string]string{}
	for _, id := range ids {
		n := StreamName(id)
		if !safe.MatchString(n) || len(n) > 45 {
			t.Errorf("StreamName(%q) = %q is not safe", id, n)
		}
		if n != StreamName(id) {
			t.Errorf("StreamName(%q) is not deterministic", id)
		}
		if other, dup := seen[n]; dup {
			t.Errorf("StreamName(%q) = StreamName(%q) = %q", id, other, n)
		}
		seen[n] = id
	}
	if n := StreamName("room-1"); !strings.HasPrefix(n, "room-1_") {
		t.Errorf("StreamName(room-1) = %q does not keep the readable ID", n)
	}
}

func TestRoomTextValidation(t *testing.T) {
	cases := []struct {
		name string
		err  error
		ok   bool
	}{
		{"title 30 bytes", ValidateTitle(strings.Repeat("a", 30)), true},
		{"title 10 kana (30 bytes)", ValidateTitle(strings.Repeat("あ", 10)), true},
		{"title 31 bytes", ValidateTitle(strings.Repeat("a", 31)), false},
		{"empty title", ValidateTitle(""), false},
		{"title with newline", ValidateTitle("a\nb"), false},
		{"notice 300 bytes", ValidateNotice(strings.Repeat("a", 300)), true},
		{"notice 301 bytes", ValidateNotice(strings.Repeat("a", 301)), false},
		{"notice with lines", ValidateNotice("line 1\nline 2"), true},
		{"empty notice", ValidateNotice(""), true},
		{"invalid UTF-8 notice", ValidateNotice("\xc3\x28"), false},
		{"introduction 241 bytes", ValidateIntroduction(strings.Repeat("a", 241)), false},
		{"room ID", ValidateRoomID("spring-sale_2025"), true},
		{"room ID 48 bytes", ValidateRoomID(strings.Repeat("r", 48)), true},
		{"room ID 49 bytes", ValidateRoomID(strings.Repeat("r", 49)), false},
		{"room ID @TGS#", ValidateRoomID("@TGS#abc"), false},
		{"room ID non-ASCII", ValidateRoomID("部屋"), false},
		{"room ID .", ValidateRoomID("."), false},
		{"room ID ..", ValidateRoomID(".."), false},
		{"room ID with dots", ValidateRoomID("...sale.."), true},
	}
	for _, c := range cases {
		if (c.err == nil) != c.ok || (c.err != nil && ErrorCode(c.err) != EInvalid) {
			t.Errorf("%s: %v, want ok %v", c.name, c.err, c.ok)
		}
	}
	start := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	if ValidateSchedule(&start, &end) != nil || ValidateSchedule(&end, &start) == nil || ValidateSchedule(&start, &start) == nil {
		t.Error("schedule validation")
	}
}

func TestPinCountsPinsAndRefusesEndedRooms(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	r := NewRoom("r1", "t", "a", "", nil, nil, t0)
	a, b := validProduct(), validProduct()
	b.ProductID = "sku-2"
	if e, err := r.Pin(a, t0); err != nil || e.Product.ProductID != "sku-1" || !e.PinnedAt.Equal(t0) || e.UnpinnedAt != nil {
		t.Fatalf("first pin: %+v %v", e, err)
	}
	if _, err := r.Pin(b, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r.Product.ProductID != "sku-2" || r.ProductsPinned != 2 {
		t.Fatalf("after two pins: %+v", r)
	}
	if changed, err := r.Unpin(); !changed || err != nil || r.Product != nil || r.ProductsPinned != 2 {
		t.Fatalf("unpin: %v %v %+v", changed, err, r)
	}
	if changed, err := r.Unpin(); changed || err != nil {
		t.Fatalf("second unpin: %v %v", changed, err)
	}
	if _, err := r.Transition(StatusEnded, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pin(a, t0); ErrorCode(err) != EConflict || r.ProductsPinned != 2 {
		t.Fatalf("pin on ended: %v", err)
	}
	if _, err := r.Unpin(); ErrorCode(err) != EConflict {
		t.Fatalf("unpin on ended: %v", err)
	}
}

func TestAGiftsURLsAreBounded(t *testing.T) {
	g := Gift{GiftID: "rose", Name: "Rose", Price: 30, ImageURL: "https://img.example.com/" + strings.Repeat("a", MaxURLBytes-24)}
	if err := g.Validate(); err != nil {
		t.Fatalf("a URL of %d bytes: %v", len(g.ImageURL), err)
	}
	g.AnimationURL = g.ImageURL + "a"
	if err := g.Validate(); ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), "animationUrl") {
		t.Fatalf("an animation URL of %d bytes: %v, want invalid", len(g.AnimationURL), err)
	}
}
