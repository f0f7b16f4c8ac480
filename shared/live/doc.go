// Package live holds uriba's domain: live rooms, products, gifts, activities and levels, and the
// errors the rest of the code base reports. It performs no I/O and imports no adapter.
package live
