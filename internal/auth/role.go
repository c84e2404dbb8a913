package auth

import (
	"crypto/x509"
	"slices"
	"strings"

	"google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// Role is what a caller may do. Roles are ordered: a role allows every
// method a lesser role allows.
type Role int

// The roles.
const (
	// RoleNone allows nothing but the methods open to every caller (see
	// Policy).
	RoleNone Role = iota
	// RoleWorker allows the lease protocol (WorkerService) and health
	// checks.
	RoleWorker
	// RoleAdmin allows every method.
	RoleAdmin
)

// String returns the role's name: "none", "worker" or "admin" (the
// Organizational Unit of a client certificate for that role).
func (r Role) String() string {
	switch r {
	case RoleWorker:
		return "worker"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Policy returns the role a method (a gRPC full method name,
// "/package.Service/Method") needs: RoleNone (no credentials at all) for
// grpc.health.v1.Health/Check, which kubelets and load balancers call
// without credentials; RoleWorker for pinnsweep.v1.WorkerService and the
// rest of grpc.health.v1.Health (Watch and List hold streams or walk
// every service); RoleAdmin for everything else (SweepService,
// reflection, and any method this version does not know).
func Policy(fullMethod string) Role {
	if fullMethod == grpc_health_v1.Health_Check_FullMethodName {
		return RoleNone
	}
	service, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	switch service {
	case pb.WorkerService_ServiceDesc.ServiceName, grpc_health_v1.Health_ServiceDesc.ServiceName:
		return RoleWorker
	}
	return RoleAdmin
}

// certRole returns the role of a verified client certificate: the
// greatest role named by one of its Organizational Units, RoleNone if none
// is.
func certRole(cert *x509.Certificate) Role {
	switch ous := cert.Subject.OrganizationalUnit; {
	case slices.Contains(ous, RoleAdmin.String()):
		return RoleAdmin
	case slices.Contains(ous, RoleWorker.String()):
		return RoleWorker
	}
	return RoleNone
}
