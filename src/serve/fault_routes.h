// Fault injection on the admin listener, for drills that prove /livez
// notices a stuck event loop (PAYMENTS_FAULT_INJECTION=1; never in
// production):
//
//   POST /admin/fault/stall-event-loop?ms=N   every public I/O thread sleeps
//                                             N ms (1..kMaxStall), 202
//
// Like every /admin/ route it needs the admin token (api/admin_auth.h), and
// what it asks for is bounded: an unbounded stall is a one-request outage.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "http/router.h"
#include "http/server.h"

namespace payments::serve {

inline constexpr std::chrono::milliseconds kMaxStall{30'000};

// public_server: the public listener once it runs, null before.
void RegisterFaultRoutes(http::Router& router, std::string admin_token,
                         std::function<http::Server*()> public_server, int io_threads);

}  // namespace payments::serve
