#pragma once
// Parallel production, ordered delivery: chunks 0..n-1 are made on worker threads, concurrently
// and in any order, and handed to the calling thread strictly in order 0, 1, 2, ..., each as soon
// as it and every chunk before it are made. For work whose output one consumer (typically a
// writer) must see in order while the next chunks are still being made.
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace trustgate {

struct OrderedPipelineLimits {
  // Worker threads. 0: no thread is started; each chunk is made, then delivered, in turn on the
  // calling thread.
  unsigned threads = 1;
  // At most this many chunks are claimed by workers and not yet delivered (at least 1): bounds
  // the memory of chunks made ahead of a slow consumer. The default does not bound it.
  std::size_t max_ahead = std::numeric_limits<std::size_t>::max();
};

// Calls make(c, worker) exactly once for every chunk c in [0, chunks), on worker threads
// (`worker` in [0, threads) names the calling worker, so that a caller can keep per-worker state
// without locks; with threads == 0, on the calling thread with worker 0), and deliver(c) on the
// calling thread for c = 0, 1, ... in order, each after make(c) has returned and with its effects
// visible. A worker claims the lowest chunk not yet claimed.
//
// A throw from make or deliver stops the pipeline: no chunk is claimed or delivered after it,
// the workers are joined, and the first exception recorded is rethrown here (chunks before it
// may have been delivered). Returns only when every worker has been joined.
template <typename Make, typename Deliver>
void run_ordered_pipeline(std::size_t chunks, OrderedPipelineLimits limits, Make&& make,
                          Deliver&& deliver) {
  if (limits.threads == 0) {
    for (std::size_t c = 0; c < chunks; ++c) {
      make(c, 0u);
      deliver(c);
    }
    return;
  }
  const std::size_t max_ahead = std::max<std::size_t>(limits.max_ahead, 1);
  std::mutex mutex;
  std::condition_variable made_one;    // the calling thread waits for the next chunk
  std::condition_variable room;        // workers wait for the look-ahead to allow a claim
  std::vector<char> ready(chunks, 0);  // GUARDED_BY(mutex)
  std::size_t next = 0;                // GUARDED_BY(mutex): the next chunk to claim
  std::size_t delivered = 0;           // GUARDED_BY(mutex): chunks whose deliver returned
  bool stop = false;                   // GUARDED_BY(mutex)
  std::exception_ptr failure;          // GUARDED_BY(mutex)
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard lock(mutex);
    if (!failure) failure = std::move(e);
    stop = true;
    made_one.notify_all();
    room.notify_all();
  };
  auto work = [&](unsigned worker) {
    try {
      for (;;) {
        std::size_t c;
        {
          std::unique_lock lock(mutex);
          room.wait(lock, [&] { return stop || next >= chunks || next - delivered < max_ahead; });
          if (stop || next >= chunks) return;
          c = next++;
        }
        make(c, worker);
        std::lock_guard lock(mutex);
        ready[c] = 1;
        made_one.notify_all();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };

  std::vector<std::thread> workers;
  try {
    workers.reserve(limits.threads);
    for (unsigned t = 0; t < limits.threads; ++t) workers.emplace_back(work, t);
    for (std::size_t c = 0; c < chunks; ++c) {
      {
        std::unique_lock lock(mutex);
        made_one.wait(lock, [&] { return ready[c] || stop; });
        if (stop) break;
      }
      deliver(c);
      {
        std::lock_guard lock(mutex);
        delivered = c + 1;
      }
      room.notify_all();
    }
  } catch (...) {  // from deliver, or a thread that could not be started
    fail(std::current_exception());
  }
  for (auto& worker : workers) worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace trustgate
