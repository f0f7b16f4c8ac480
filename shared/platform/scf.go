//go:build !no_scf && !no_scf_event

package platform

import "github.com/tencentyun/scf-go-lib/cloudfunction"

// scfBuilt reports whether this binary holds the SCF event function runtime.
const scfBuilt = true

// startSCF serves scf-go-lib's RPC protocol on _LAMBDA_SERVER_PORT with inv and never returns.
func startSCF(inv invoker) {
	cloudfunction.StartHandler(inv)
}
