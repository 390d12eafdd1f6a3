// HTTP handlers of faces: the "Faces" row of api-v1.md (enrolment) plus listing and removing a
// person's face templates and the recognition status of the server.
//
// Thread-safety: handlers run concurrently; they share only Faces, which is thread-safe.
#pragma once

#include "face/faces.h"
#include "http/router.h"
#include "registry/registry.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::face {

// Enrolment, reads and removals of faces are rows of the audit trail (biometric personal data).
// An enrolment's `duplicate_of` (answer or refusal) names the other person only to a caller the
// registry lets see that person.
void AddFaceRoutes(http::Router& router, Faces& faces, store::Database& db,
                   const registry::Registry& registry, const security::AuditLog& audit);

}  // namespace zhizhi::face
