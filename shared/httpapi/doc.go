// Package httpapi is uriba's HTTP layer: routing with net/http patterns, JSON decoding with
// limits, merchant and viewer authentication, and RFC 9457 problem replies. Every stable error code
// is mapped to its HTTP status here and nowhere else.
package httpapi
