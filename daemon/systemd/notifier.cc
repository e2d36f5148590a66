#include "daemon/systemd/notifier.h"

#include <cstdlib>

#include "daemon/systemd/sd_notifier.h"

namespace trustgate {

std::unique_ptr<Notifier> make_systemd_notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return std::make_unique<NullNotifier>();
  return std::make_unique<SdNotifier>();
}

}  // namespace trustgate
