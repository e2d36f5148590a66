#pragma once
// One connection of the edge (http_edge.h states the contract), as a state machine on its event
// loop: read what has arrived, let the RequestReader frame it, answer in order, write, and act
// on deadlines when the loop's sweep says one has passed. Internal to the edge.
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <optional>
#include <string>

#include "daemon/http/event_loop.h"
#include "daemon/http/http_request_parser.h"

namespace trustgate::http {

// Serves a socket accepted for `loop`; called on that loop's thread. `refusal`: answer it and
// close instead (a connection over the caps, not counted in the admission); otherwise the
// connection was admitted for `peer` and releases it when it closes. `tls`: null for plain.
void serve_connection(EventLoop& loop, asio::ip::tcp::socket socket, asio::ssl::context* tls,
                      std::string peer, std::optional<Refusal> refusal);

}  // namespace trustgate::http
