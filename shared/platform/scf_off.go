//go:build no_scf || no_scf_event

package platform

// scfBuilt reports whether this binary holds the SCF event function runtime: not with no_scf or
// no_scf_event.
const scfBuilt = false

func startSCF(invoker) {}
