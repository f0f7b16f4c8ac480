package live

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of gifts, coins and purchases.
const (
	// MaxGiftIDBytes bounds a gift's ID.
	MaxGiftIDBytes = 64
	// MaxGiftNameRunes bounds a gift's name, in characters.
	MaxGiftNameRunes = 40
	// MaxGiftPrice bounds a gift's price, in coins.
	MaxGiftPrice = 1_000_000
	// MaxGiftCount bounds how many of one gift a viewer sends at once.
	MaxGiftCount = 999
	// MaxTopUp bounds one top-up, in coins.
	MaxTopUp = 1_000_000_000
	// MaxBalance bounds a coin balance.
	MaxBalance = 1_000_000_000_000
	// MaxOrderIDBytes bounds an order's ID.
	MaxOrderIDBytes = 64
	// MaxQuantity bounds the units of one purchase.
	MaxQuantity = 1_000_000
)

// Gift is an item of the gift catalog: what a viewer can send to a room for coins.
type Gift struct {
	GiftID string `json:"giftId"`
	Name   string `json:"name"`
	// Price is the gift's price in coins, a whole number above zero.
	Price        int64  `json:"price"`
	ImageURL     string `json:"imageUrl,omitempty"`
	AnimationURL string `json:"animationUrl,omitempty"`
}

// Validate reports the first problem of g, as an EInvalid error.
func (g Gift) Validate() error {
	if err := ValidateGiftID(g.GiftID); err != nil {
		return err
	}
	if err := checkName(g.Name, MaxGiftNameRunes); err != nil {
		return err
	}
	if g.Price <= 0 || g.Price > MaxGiftPrice {
		return Errorf(EInvalid, "price must be a whole number of coins from 1 to %d.", MaxGiftPrice)
	}
	if err := checkWebURL("imageUrl", g.ImageURL); err != nil {
		return err
	}
	return checkWebURL("animationUrl", g.AnimationURL)
}

// ValidateGiftID checks a gift's ID: 1 to MaxGiftIDBytes bytes of printable ASCII.
func ValidateGiftID(id string) error {
	return checkASCIIID("giftId", id, MaxGiftIDBytes)
}

// ValidateGiftCount checks how many of a gift a viewer sends at once: 1 to MaxGiftCount.
func ValidateGiftCount(n int64) error {
	if n <= 0 || n > MaxGiftCount {
		return Errorf(EInvalid, "count must be from 1 to %d.", MaxGiftCount)
	}
	return nil
}

// ValidateTopUp checks a top-up: 1 to MaxTopUp coins.
func ValidateTopUp(amount int64) error {
	if amount <= 0 || amount > MaxTopUp {
		return Errorf(EInvalid, "amount must be a whole number of coins from 1 to %d.", MaxTopUp)
	}
	return nil
}

// InsufficientCoins is the error of a debit the balance does not cover.
func InsufficientCoins(balance, cost int64) error {
	return Errorf(EInsufficientCoins, "The gift costs %d coins; the balance is %d.", cost, balance)
}

// Purchase is a paid order the shop's order system reports for a room: the buyer bought
// Quantity units of a product for Amount in Currency.
type Purchase struct {
	OrderID   string `json:"orderId"`
	UserID    string `json:"userId"`
	ProductID string `json:"productId"`
	// ProductName is shown in the room's purchase prompt; when empty, the name of the product
	// as it was pinned in the room, or else the product ID, is shown.
	ProductName string  `json:"productName,omitempty"`
	Quantity    int64   `json:"quantity"`
	Amount      Decimal `json:"amount"`
	Currency    string  `json:"currency"`
}

// MaxPurchaseAmountDigits bounds the whole part of a purchase's amount, so that a room's revenue,
// kept in ten-thousandths, fits its counter.
const MaxPurchaseAmountDigits = 12

// Validate reports the first problem of p, as an EInvalid error. admin is the app's IM admin
// account, which no buyer may be.
func (p Purchase) Validate(admin string) error {
	if err := checkASCIIID("orderId", p.OrderID, MaxOrderIDBytes); err != nil {
		return err
	}
	if err := CheckMemberID(p.UserID, admin); err != nil {
		return InField("userId", err)
	}
	if err := checkASCIIID("productId", p.ProductID, MaxProductIDBytes); err != nil {
		return err
	}
	switch {
	case p.ProductName != "" && (!utf8.ValidString(p.ProductName) || utf8.RuneCountInString(p.ProductName) > MaxProductNameRunes):
		return Errorf(EInvalid, "productName must be valid UTF-8 of at most %d characters.", MaxProductNameRunes)
	case p.Quantity <= 0 || p.Quantity > MaxQuantity:
		return Errorf(EInvalid, "quantity must be from 1 to %d.", MaxQuantity)
	}
	if p.ProductName != "" {
		if err := checkText("productName", p.ProductName, len(p.ProductName), false); err != nil {
			return err
		}
	}
	if err := p.Amount.check("amount"); err != nil {
		return err
	}
	whole, _, _ := strings.Cut(string(p.Amount), ".")
	if len(whole) > MaxPurchaseAmountDigits {
		return Errorf(EInvalid, "amount must be below 10^%d.", MaxPurchaseAmountDigits)
	}
	if p.Amount.TenThousandths() <= 0 {
		return Errorf(EInvalid, "amount must be above zero.")
	}
	if !isCurrencyCode(p.Currency) {
		return Errorf(EInvalid, "currency %q is not an ISO 4217 code of three upper-case letters, such as JPY.", truncate(p.Currency, 10))
	}
	return nil
}

// TenThousandths returns a well-formed amount in ten-thousandths of its unit ("19.99" is
// 199900), or -1 when it is not a well-formed amount below 10^14.
func (d Decimal) TenThousandths() int64 {
	s := string(d)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 14 || !digits(whole) || len(frac) > 4 || !digits(frac) {
		return -1
	}
	var n int64
	for i := 0; i < len(whole); i++ {
		n = n*10 + int64(whole[i]-'0')
	}
	for i := 0; i < 4; i++ {
		n *= 10
		if i < len(frac) {
			n += int64(frac[i] - '0')
		}
	}
	return n
}

// DecimalFromTenThousandths writes n ten-thousandths as a decimal amount without trailing zeros
// in its fraction: 199900 is "19.99".
func DecimalFromTenThousandths(n int64) Decimal {
	neg := n < 0
	if neg {
		n = -n
	}
	whole, frac := n/10000, n%10000
	s := strconv.FormatInt(whole, 10)
	if frac != 0 {
		f := strconv.FormatInt(frac+10000, 10)[1:]
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return Decimal(s)
}
