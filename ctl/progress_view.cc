#include "ctl/progress_view.h"

#include <fmt/format.h>

namespace trustgate::ctl {

using namespace std::chrono_literals;

ProgressView::ProgressView(std::ostream& err, bool terminal, const Clock& clock,
                           std::optional<std::size_t> expected)
    : err_(err), terminal_(terminal), clock_(clock), throttle_(terminal ? 100ms : 5s) {
  meter_.start(clock_.steady_now(), expected);
  (void)throttle_.due(clock_.steady_now());  // nothing before the first interval has passed
}

void ProgressView::update(std::size_t entries_read) {
  const auto now = clock_.steady_now();
  const SyncProgress& p = meter_.update(entries_read, now);
  if (!throttle_.due(now)) return;
  if (terminal_) {
    err_ << "\r\033[K" << progress_bar(p) << std::flush;  // \033[K: clear to the line's end
  } else {
    err_ << "  ... " << progress_text(p) << '\n';
  }
}

void ProgressView::finish() {
  const SyncProgress& p = meter_.update(meter_.current().entries_read, clock_.steady_now());
  if (terminal_) err_ << "\r\033[K";  // over the bar, if one was drawn
  err_ << fmt::format("read {} entries in {:.1f} s ({:.0f}/s)", p.entries_read,
                      std::chrono::duration<double>(p.elapsed).count(), p.entries_per_second());
  if (p.expected_entries)
    err_ << fmt::format(", ~{} expected from the last pass", *p.expected_entries);
  err_ << '\n';
}

}  // namespace trustgate::ctl
