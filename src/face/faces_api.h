// HTTP handlers of faces: the "Faces" row of api-v1.md (enrolment) plus listing and removing a
// person's face templates and the recognition status of the server.
//
// Thread-safety: handlers run concurrently; they share only Faces, which is thread-safe.
#pragma once

#include "face/faces.h"
#include "http/router.h"

namespace zhizhi::face {

void AddFaceRoutes(http::Router& router, Faces& faces);

}  // namespace zhizhi::face
