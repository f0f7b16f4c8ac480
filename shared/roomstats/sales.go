package roomstats

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// SalesKV is the part of a store that Sales needs. The store adapters' KV has these methods with
// these signatures.
type SalesKV interface {
	// AddMany adds each delta to its counter, creating it at zero.
	AddMany(ctx context.Context, deltas map[string]int64) error
	// Counter returns the value of the counter key, or 0 when it does not exist.
	Counter(ctx context.Context, key string) (int64, error)
	// Scan lists the records of a directory after the key after, at most limit of them.
	Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error)
}

// Sales keeps a room's gift and purchase totals: gifts and coins, per gifter too, and orders,
// units and revenue per currency, per product too. Its callers make each addition once: the gift
// and purchase services count a billed gift or a reported order when its own record moves on
// from the state that counts it, and keep in that record what a failed Apply left to add.
type Sales struct {
	kv SalesKV
}

// NewSales returns Sales over kv.
func NewSales(kv SalesKV) *Sales { return &Sales{kv: kv} }

// Gifter is a viewer and what they gave in a room.
type Gifter struct {
	UserID string `json:"userId"`
	Coins  int64  `json:"coins"`
	Gifts  int64  `json:"gifts"`
}

// ProductSales are the orders of one product in a room.
type ProductSales struct {
	ProductID string `json:"productId"`
	Orders    int64  `json:"orders"`
	Units     int64  `json:"units"`
	// Revenue is the amount paid per currency.
	Revenue map[string]live.Decimal `json:"revenue"`
}

// Totals are a room's gift and purchase totals.
type Totals struct {
	Gifts int64 `json:"gifts"`
	Coins int64 `json:"coins"`
	// TopGifters are the viewers who spent the most coins, most first.
	TopGifters []Gifter `json:"topGifters"`
	Orders     int64    `json:"orders"`
	Units      int64    `json:"units"`
	// Revenue is the amount paid per currency.
	Revenue map[string]live.Decimal `json:"revenue"`
	// Products are the orders per product, most units first.
	Products []ProductSales `json:"products"`
}

// Deltas are additions to a room's totals: counter keys and what to add to each. A caller can
// keep in its own record the ones a failed Apply left unapplied, and apply them later.
type Deltas map[string]int64

// GiftDeltas returns what counting gifts units of gifts worth coins from userID in the room adds.
func GiftDeltas(roomID, userID string, gifts, coins int64) Deltas {
	return Deltas{
		giftsKey(roomID):                   gifts,
		coinsKey(roomID):                   coins,
		gifterKey(roomID, userID, "coins"): coins,
		gifterKey(roomID, userID, "gifts"): gifts,
	}
}

// PurchaseDeltas returns what counting one order of units of productID, paid amount (in
// ten-thousandths) in currency, adds to the room.
func PurchaseDeltas(roomID, productID, currency string, units, amount int64) Deltas {
	return Deltas{
		ordersKey(roomID):                       1,
		unitsKey(roomID):                        units,
		revenueKey(roomID, currency):            amount,
		productKey(roomID, productID, "orders"): 1,
		productKey(roomID, productID, "units"):  units,
		productKey(roomID, productID, currency): amount,
	}
}

// Apply adds d to the room totals in one store call. When it fails it returns, with the error,
// the deltas that may not have been applied, and only those: applying them later completes the
// addition without counting any twice.
func (s *Sales) Apply(ctx context.Context, d Deltas) (Deltas, error) {
	if len(d) == 0 {
		return nil, nil
	}
	err := s.kv.AddMany(ctx, d)
	return store.Unapplied(err, d), err
}

// DefaultTopGifters is how many gifters Totals lists.
const DefaultTopGifters = 10

// Totals returns the room's totals with its top gifters, at most top of them.
func (s *Sales) Totals(ctx context.Context, roomID string, top int) (Totals, error) {
	t := Totals{Revenue: map[string]live.Decimal{}, Products: []ProductSales{}}
	var err error
	for key, dst := range map[string]*int64{giftsKey(roomID): &t.Gifts, coinsKey(roomID): &t.Coins, ordersKey(roomID): &t.Orders, unitsKey(roomID): &t.Units} {
		if *dst, err = s.kv.Counter(ctx, key); err != nil {
			return Totals{}, err
		}
	}
	if t.TopGifters, err = s.Gifters(ctx, roomID, top); err != nil {
		return Totals{}, err
	}
	err = scanCounters(ctx, s.kv, revenueDir(roomID), func(name string, n int64) {
		t.Revenue[name] = live.DecimalFromTenThousandths(n)
	})
	if err != nil {
		return Totals{}, err
	}
	products := map[string]*ProductSales{}
	err = scanCounters(ctx, s.kv, productDir(roomID), func(name string, n int64) {
		id, what, _ := strings.Cut(name, "#")
		id = store.UnescapeID(id)
		p := products[id]
		if p == nil {
			p = &ProductSales{ProductID: id, Revenue: map[string]live.Decimal{}}
			products[id] = p
		}
		switch what {
		case "orders":
			p.Orders = n
		case "units":
			p.Units = n
		default:
			p.Revenue[what] = live.DecimalFromTenThousandths(n)
		}
	})
	if err != nil {
		return Totals{}, err
	}
	for _, p := range products {
		t.Products = append(t.Products, *p)
	}
	slices.SortFunc(t.Products, func(a, b ProductSales) int {
		return cmp.Or(cmp.Compare(b.Units, a.Units), strings.Compare(a.ProductID, b.ProductID))
	})
	return t, nil
}

// Gifters returns the room's gifters who spent the most coins, most first, at most limit of them
// (every one when limit is not positive).
func (s *Sales) Gifters(ctx context.Context, roomID string, limit int) ([]Gifter, error) {
	byUser := map[string]*Gifter{}
	err := scanCounters(ctx, s.kv, giftersDir(roomID), func(name string, n int64) {
		id, what, _ := strings.Cut(name, "#")
		id = store.UnescapeID(id)
		g := byUser[id]
		if g == nil {
			g = &Gifter{UserID: id}
			byUser[id] = g
		}
		switch what {
		case "coins":
			g.Coins = n
		case "gifts":
			g.Gifts = n
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]Gifter, 0, len(byUser))
	for _, g := range byUser {
		if g.Coins > 0 || g.Gifts > 0 {
			out = append(out, *g)
		}
	}
	slices.SortFunc(out, func(a, b Gifter) int {
		return cmp.Or(cmp.Compare(b.Coins, a.Coins), cmp.Compare(b.Gifts, a.Gifts), strings.Compare(a.UserID, b.UserID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// scanner lists the records of a directory, as store.KV's Scan does.
type scanner interface {
	Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error)
}

// scanCounters calls f with the name and count of every counter of the directory dir.
func scanCounters(ctx context.Context, kv scanner, dir string, f func(name string, n int64)) error {
	after := ""
	for {
		items, err := kv.Scan(ctx, dir, after, store.MaxScan)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.Counter {
				f(strings.TrimPrefix(it.Key, dir), it.Count)
			}
		}
		if len(items) < store.MaxScan {
			return nil
		}
		after = items[len(items)-1].Key
	}
}

// Keys of the sales totals. The room's totals share its directory "room/{id}/"; gifters,
// revenue per currency and per-product counters have a directory each, which Totals lists. In
// a name, '#' separates the escaped ID from what is counted.

func giftsKey(roomID string) string  { return "room/" + store.EscapeID(roomID) + "/gifts" }
func coinsKey(roomID string) string  { return "room/" + store.EscapeID(roomID) + "/coins" }
func ordersKey(roomID string) string { return "room/" + store.EscapeID(roomID) + "/orders" }
func unitsKey(roomID string) string  { return "room/" + store.EscapeID(roomID) + "/units" }
func giftersDir(roomID string) string {
	return "roomgifters/" + store.EscapeID(roomID) + "/"
}
func gifterKey(roomID, userID, what string) string {
	return giftersDir(roomID) + store.EscapeID(userID) + "#" + what
}
func revenueDir(roomID string) string { return "roomrevenue/" + store.EscapeID(roomID) + "/" }
func revenueKey(roomID, currency string) string {
	return revenueDir(roomID) + store.EscapeID(currency)
}
func productDir(roomID string) string { return "roomproductsales/" + store.EscapeID(roomID) + "/" }
func productKey(roomID, productID, what string) string {
	return productDir(roomID) + store.EscapeID(productID) + "#" + what
}
